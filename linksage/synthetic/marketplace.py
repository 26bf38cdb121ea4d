"""The synthetic job marketplace: every table of the data contract, deterministically.

`generate_marketplace` draws a population (`linksage.synthetic.entities`), simulates its activity
(`linksage.synthetic.activity`) and returns the contract's tables. The generative model, every
assumption and the calibration to the LinkSAGE paper are in docs/generative_model.md.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from linksage.data.tables import Tables
from linksage.synthetic.activity import epoch_timestamps as _ts
from linksage.synthetic.activity import simulate_activity
from linksage.synthetic.entities import Population, make_population
from linksage.synthetic.preset import Preset, get_preset
from linksage.timeutil import utc_datetime


def draw_population(
    members: int, seed: int, start: datetime, days: int, preset: str | Preset = "paper"
) -> tuple[Population, Preset, np.random.Generator]:
    """The population (hidden state included) of `generate_marketplace` with the same arguments,
    its preset, and the generator the activity is then drawn from: the population comes from
    its own spawned generator, so it can be redrawn alone, without the activity."""
    if members < 1:
        raise ValueError(f"members must be positive, got {members}")
    if days < 2:
        raise ValueError(f"days must be at least 2, got {days}")
    # a Preset itself: a named one with some constants changed (benchmarks, calibration, tests)
    p = preset if isinstance(preset, Preset) else get_preset(preset)
    t0 = int(utc_datetime(start).timestamp())
    pop_rng, act_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    return make_population(pop_rng, members=members, start=t0, days=days, p=p), p, act_rng


def generate_marketplace(
    members: int, seed: int, start: datetime, days: int, preset: str | Preset = "paper"
) -> Tables:
    """Generate the synthetic marketplace: `members` members active over [start, start + days).

    Same arguments, same tables (and the same parquet bytes via `write_tables`).
    """
    pop, p, act_rng = draw_population(members, seed, start, days, preset)
    act = simulate_activity(act_rng, pop, p)

    pop.members["created_at"] = _ts(pop.members["created_at"])
    pop.jobs["posted_at"] = _ts(pop.jobs["posted_at"])
    pop.jobs["expires_at"] = _ts(pop.jobs["expires_at"])
    pos = pop.member_positions
    pos["start_at"] = _ts(pos["start_at"])
    pos["end_at"] = _ts(pos["end_at"]).where(pos["end_at"].to_numpy() >= 0)

    return Tables(
        members=pop.members,
        jobs=pop.jobs,
        engagements=act.engagements,
        member_skills=pop.member_skills,
        job_skills=pop.job_skills,
        member_positions=pos,
        recruiter_actions=act.recruiter_actions,
        impressions=act.impressions,
    )
