"""Hand-made tables whose every value the tests know.

- `graph_tables` (with `ts`): a 4-member, 3-job marketplace whose graph can be checked by hand
  (the gnn_encoder and nearline tests).
- `profile_tables` (with `PROFILE_SNAPSHOTS`): four members, three jobs and a few engagements,
  positions and skills around three daily snapshots (the feature-store tests).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from linksage.data.tables import Tables

PROFILE_T0 = datetime(2026, 1, 1, tzinfo=UTC)
PROFILE_SNAPSHOTS = [PROFILE_T0 + timedelta(days=d) for d in (1, 2, 3)]
PROFILE_MEMBERS = [1, 2, 3, 4]
PROFILE_JOBS = [10, 11, 12]


def ts(day: int, hour: int = 0) -> pd.Timestamp:
    """January `day`, 2026 at `hour`:00 UTC."""
    return pd.Timestamp(2026, 1, day, hour, tz="UTC")


def graph_tables() -> Tables:
    """Members 10-13 and jobs 100-102 in January 2026: member 13 joins and job 102 is posted
    late (day 9 and day 8), engagements on days 4-7."""
    members = pd.DataFrame(
        {
            "member_id": [10, 11, 12, 13],
            "title": ["eng", "eng", "pm", "eng"],
            "company": ["acme", "beta", "acme", "acme"],
            "seniority": [1, 2, 3, 4],
            "location": ["nyc", "sf", "nyc", "la"],
            "is_premium": [False, True, False, True],
            "seeker_intent": ["passive", "urgent", None, "open_to_job"],
            "created_at": [ts(1), ts(2), ts(3), ts(9)],  # member 13 joins late
        }
    )
    jobs = pd.DataFrame(
        {
            "job_id": [100, 101, 102],
            "title": ["eng", "pm", "designer"],
            "company": ["acme", "beta", "gamma"],
            "seniority": [2, 3, 1],
            "location": ["nyc", "sf", "nyc"],
            "is_promoted": [False, True, False],
            "posted_at": [ts(1), ts(2), ts(8)],  # job 102 is posted late, with a new title
            "expires_at": [ts(20), ts(20), ts(20)],
        }
    )
    engagements = pd.DataFrame(
        {
            "member_id": [10, 10, 11, 12, 11, 12],
            "job_id": [100, 100, 100, 101, 101, 100],
            "action": ["click", "apply", "save", "apply", "dismiss", "view"],
            "channel": ["jymbii"] * 6,
            "request_id": [None] * 6,
            "at": [ts(4), ts(5), ts(4, 6), ts(6), ts(6), ts(7)],
        }
    )
    member_skills = pd.DataFrame(
        {
            "member_id": [10, 10, 10, 11, 12],
            "skill": ["python", "sql", "go", "python", "roadmaps"],
            "score": [0.9, 0.5, 0.7, 0.8, 0.6],
        }
    )
    job_skills = pd.DataFrame(
        {
            "job_id": [100, 101, 102],
            "skill": ["python", "roadmaps", "figma"],
            "score": [1.0, 1.0, 1.0],
        }
    )
    member_positions = pd.DataFrame(
        {
            "member_id": [10, 10, 11],
            "company": ["beta", "acme", "beta"],
            "title": ["intern", "eng", "eng"],
            "start_at": [ts(1), ts(3), ts(2)],
            "end_at": [ts(3), None, None],
        }
    )
    recruiter_actions = pd.DataFrame(
        {"job_id": [100], "member_id": [10], "action": ["message"], "at": [ts(6)]}
    )
    return Tables(
        members=members,
        jobs=jobs,
        engagements=engagements,
        member_skills=member_skills,
        job_skills=job_skills,
        member_positions=member_positions,
        recruiter_actions=recruiter_actions,
    )


def profile_tables() -> Tables:
    """Four members, three jobs, a few engagements, positions and skills, times known exactly."""
    day = timedelta(days=1)
    members = pd.DataFrame(
        {
            "member_id": PROFILE_MEMBERS,
            "title": ["eng", "pm", "ds", "eng"],
            "company": ["acme", "beta", "acme", "gamma"],
            "seniority": [1, 3, 2, 5],
            "location": ["paris", "nyc", "paris", "berlin"],
            "is_premium": [True, False, False, True],
            "seeker_intent": ["urgent", None, "passive", "open_to_job"],
            "created_at": [PROFILE_T0, PROFILE_T0, PROFILE_T0 + 1.5 * day, PROFILE_T0],
        }
    )
    jobs = pd.DataFrame(
        {
            "job_id": PROFILE_JOBS,
            "title": ["eng", "pm", "ds"],
            "company": ["acme", "beta", "gamma"],
            "seniority": [1, 3, 2],
            "location": ["paris", "nyc", "berlin"],
            "is_promoted": [False, True, False],
            "posted_at": [PROFILE_T0, PROFILE_T0 + 0.5 * day, PROFILE_T0 + 2 * day],
            "expires_at": [PROFILE_T0 + 30 * day] * 3,
        }
    )
    engagements = pd.DataFrame(
        {
            "member_id": [1, 1, 1, 2, 4, 1],
            "job_id": [10, 10, 11, 10, 11, 11],
            "action": ["view", "apply", "click", "save", "apply", "apply"],
            "channel": ["jymbii"] * 6,
            "request_id": pd.array([None] * 6, dtype="Int64"),
            # the last apply is stamped exactly at the second snapshot: not counted there
            "at": [
                PROFILE_T0 + 0.2 * day,
                PROFILE_T0 + 0.3 * day,
                PROFILE_T0 + 1.2 * day,
                PROFILE_T0 + 1.9 * day,
                PROFILE_T0 + 0.9 * day,
                PROFILE_SNAPSHOTS[1],
            ],
        }
    )
    member_skills = pd.DataFrame(
        {
            "member_id": [1, 1, 1, 2],
            "skill": ["python", "sql", "go", "excel"],
            "score": np.array([0.9, 0.5, 0.7, 0.3], dtype=np.float32),
        }
    )
    job_skills = pd.DataFrame(
        {"job_id": [10, 10], "skill": ["sql", "python"], "score": np.float32([0.4, 0.8])}
    )
    positions = pd.DataFrame(
        {
            "member_id": [1, 1],
            "company": ["old co", "acme"],
            "title": ["intern", "eng"],
            "start_at": [PROFILE_T0 - 100 * day, PROFILE_T0 + 1.5 * day],
            "end_at": [PROFILE_T0 + 1.5 * day, pd.NaT],
        }
    )
    recruiter = pd.DataFrame(
        {"job_id": [10], "member_id": [1], "action": ["message"], "at": [PROFILE_T0 + 0.5 * day]}
    )
    return Tables(
        members=members,
        jobs=jobs,
        engagements=engagements,
        member_skills=member_skills,
        job_skills=job_skills,
        member_positions=positions,
        recruiter_actions=recruiter,
    )
