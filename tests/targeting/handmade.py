"""Hand-made marketplace tables: a few rows whose right answers are known by construction."""

from __future__ import annotations

import pandas as pd

from linksage.data.tables import Tables

DAY0 = pd.Timestamp("2026-01-01", tz="UTC")


def day(d: float) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=d)


def members(rows: list[tuple[int, str, int, str]]) -> pd.DataFrame:
    """(member_id, title, seniority, location) rows, created before day 0."""
    df = pd.DataFrame(rows, columns=["member_id", "title", "seniority", "location"])
    return df.assign(company="", is_premium=False, created_at=day(-100))


def jobs(rows: list[tuple[int, str, str, int, str, bool, float, float]]) -> pd.DataFrame:
    """(job_id, title, company, seniority, location, is_promoted, posted day, expiry day)."""
    cols = ["job_id", "title", "company", "seniority", "location", "is_promoted", "p", "e"]
    df = pd.DataFrame(rows, columns=cols)
    df["posted_at"], df["expires_at"] = df.pop("p").map(day), df.pop("e").map(day)
    return df


def events(rows: list[tuple[int, int, str, float]]) -> pd.DataFrame:
    """(member_id, job_id, action, day) rows."""
    df = pd.DataFrame(rows, columns=["member_id", "job_id", "action", "d"])
    df["at"] = df.pop("d").map(day)
    return df


def positions(rows: list[tuple[int, str, str, float]]) -> pd.DataFrame:
    """(member_id, company, title, start day) rows."""
    df = pd.DataFrame(rows, columns=["member_id", "company", "title", "d"])
    df["start_at"] = df.pop("d").map(day)
    return df.assign(end_at=pd.NaT)


def tables(m, j, engagements, recruiter_actions=None, member_positions=None) -> Tables:
    e = engagements.assign(channel="other", request_id=pd.NA)
    return Tables(
        members=m,
        jobs=j,
        engagements=e,
        recruiter_actions=recruiter_actions,
        member_positions=member_positions,
    )
