"""The oracle arm's vectors: the generator's hidden member-interest and job-profile vectors.

The synthetic marketplace scores a member's utility for a job from the cosine of these two
(linksage/synthetic/activity.py), which no table shows. Fed to a ranker as if they were
embeddings, they say how much an embedding could buy on this data at best: the headroom each
other arm's lift is measured against. They are never part of the data contract, and a config with
real data cannot ask for them (`evaluation.arms`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linksage.data.vectors import EntityVectors
from linksage.synthetic.marketplace import draw_population


def oracle_vectors(synthetic) -> dict[str, EntityVectors]:
    """The hidden vectors of the marketplace `synthetic` (the config's data.synthetic section)
    generates, per entity ("member", "job"), each valid from its creation (posting) time. The
    population is redrawn alone, from its own generator: the same vectors the tables came from."""
    pop, _, _ = draw_population(
        synthetic.members, synthetic.seed, synthetic.start, synthetic.days, synthetic.preset
    )

    def stamped(epoch_seconds: np.ndarray) -> pd.Series:
        return pd.Series(pd.to_datetime(np.asarray(epoch_seconds), unit="s", utc=True))

    return {
        "member": EntityVectors(
            np.arange(1, len(pop.m_interest) + 1), pop.m_interest, stamped(pop.m_created)
        ),
        "job": EntityVectors(
            np.arange(1, len(pop.j_profile) + 1), pop.j_profile, stamped(pop.j_posted)
        ),
    }
