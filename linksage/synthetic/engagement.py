"""The generator's own engagement probabilities, as a function other code can call.

A simulation on top of a synthetic marketplace (e.g. a promoted-jobs campaign, `targeting/`) must
decide whether a member applies to a job it shows them the way the marketplace itself decides,
from the hidden utility (docs/generative_model.md, "Activity", steps 4-5). `engagement_model`
redraws the population of a marketplace from its generation arguments (the population has its
own random generator, so the activity is not redrawn) and answers with the very functions the
generator's funnel uses (`click_probability`, `apply_given_click`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from linksage.synthetic.activity import apply_given_click, click_probability, utility
from linksage.synthetic.entities import Population
from linksage.synthetic.marketplace import draw_population
from linksage.synthetic.preset import Preset


@dataclass(frozen=True)
class EngagementModel:
    """Engagement probabilities of one synthetic marketplace, by member_id and job_id."""

    population: Population
    preset: Preset

    def apply_probability(
        self, member_ids: np.ndarray, job_ids: np.ndarray, rank: int | None = 1
    ) -> np.ndarray:
        """P(apply) of each (member, job) pair when the job is shown at `rank` of a list
        (click, then apply); `rank=None`: the member opened the job's page (click certain)."""
        m = np.asarray(member_ids, dtype=np.int64) - 1  # row i is member_id i + 1
        j = np.asarray(job_ids, dtype=np.int64) - 1
        u = utility(self.population, self.preset, m, j)
        after_click = apply_given_click(u, self.population.m_intent[m], self.preset)
        return (
            after_click if rank is None else click_probability(u, rank, self.preset) * after_click
        )

    def describes(self, members: pd.DataFrame, jobs: pd.DataFrame) -> bool:
        """Whether these tables are this marketplace's (same ids, titles and locations): a
        config changed after generation, or tables edited by hand, must not be simulated."""
        pm, pj = self.population.members, self.population.jobs
        if len(members) != len(pm) or len(jobs) != len(pj):
            return False
        m = members.sort_values("member_id")
        j = jobs.sort_values("job_id")
        return bool(
            np.array_equal(m["member_id"].to_numpy(), pm["member_id"].to_numpy())
            and np.array_equal(j["job_id"].to_numpy(), pj["job_id"].to_numpy())
            and (m["title"].to_numpy() == pm["title"].to_numpy()).all()
            and (m["location"].to_numpy() == pm["location"].to_numpy()).all()
            and (j["title"].to_numpy() == pj["title"].to_numpy()).all()
        )


def engagement_model(
    members: int, seed: int, start: datetime, days: int, preset: str | Preset = "paper"
) -> EngagementModel:
    """The engagement model of `generate_marketplace(members, seed, start, days, preset)`."""
    population, p, _ = draw_population(members, seed, start, days, preset)
    return EngagementModel(population, p)
