"""A hand-made 4-member, 3-job marketplace whose graph can be checked by hand."""

from __future__ import annotations

import pandas as pd

from linksage.data.tables import Tables


def ts(day: int, hour: int = 0) -> pd.Timestamp:
    return pd.Timestamp(2026, 1, day, hour, tz="UTC")


def hand_tables() -> Tables:
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
