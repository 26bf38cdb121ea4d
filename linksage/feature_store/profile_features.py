"""Profile (base) features for members and jobs at each snapshot time, for the Feast views
`member_profile` and `job_profile`.

A row stamped s uses only data from before s: entities created/posted before s, positions started
before s, engagements and recruiter actions with `at < s`. Skills carry no timestamp in the data
contract, so top skills are treated as static profile facts. Every row also carries
`feature_ts` (= event_timestamp) so a point-in-time join reports which row it picked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from linksage.artifacts import repo_data_dir
from linksage.data.skills import top_skill_rows
from linksage.data.tables import Tables
from linksage.io import write_parquet

TS = pa.timestamp("us", tz="UTC")
RECENT = timedelta(days=7)
SKILL_SEPARATOR = "|"

MEMBER_SCHEMA = pa.schema(
    [
        ("member_id", pa.int64()),
        ("seniority", pa.int64()),
        ("is_premium", pa.bool_()),
        ("seeker_intent", pa.string()),
        ("location", pa.string()),
        ("title", pa.string()),
        ("company", pa.string()),
        ("top_skills", pa.string()),
        ("tenure_days", pa.float32()),
        ("positions_count", pa.int64()),
        ("views_count", pa.int64()),
        ("clicks_count", pa.int64()),
        ("saves_count", pa.int64()),
        ("applies_count", pa.int64()),
        ("engagements_7d", pa.int64()),
        ("applies_7d", pa.int64()),
        ("event_timestamp", TS),
        ("feature_ts", TS),
    ]
)

JOB_SCHEMA = pa.schema(
    [
        ("job_id", pa.int64()),
        ("seniority", pa.int64()),
        ("is_promoted", pa.bool_()),
        ("location", pa.string()),
        ("title", pa.string()),
        ("company", pa.string()),
        ("top_skills", pa.string()),
        ("posted_at", TS),
        ("expires_at", TS),
        ("age_days", pa.float32()),
        ("views_count", pa.int64()),
        ("clicks_count", pa.int64()),
        ("applies_count", pa.int64()),
        ("applies_7d", pa.int64()),
        ("recruiter_actions_count", pa.int64()),
        ("event_timestamp", TS),
        ("feature_ts", TS),
    ]
)


def top_skills(skills: pd.DataFrame | None, id_column: str, k: int) -> pd.Series:
    """The k highest-scoring skills per entity joined with "|" (ties broken by skill name)."""
    if skills is None or skills.empty:
        return pd.Series(dtype=object, name="top_skills")
    top = top_skill_rows(skills, id_column, k)
    return (
        top.groupby(id_column, sort=False)["skill"].agg(SKILL_SEPARATOR.join).rename("top_skills")
    )


class _EventWindow:
    """Events sorted by time, sliced by [since, until) with binary search (one sort, many reads)."""

    def __init__(self, events: pd.DataFrame | None, time_column: str = "at"):
        events = events if events is not None else pd.DataFrame({time_column: []})
        self.events = events.sort_values(time_column, kind="stable").reset_index(drop=True)
        self.times = (
            pd.to_datetime(self.events[time_column], utc=True).dt.tz_convert(None).to_numpy()
        )

    def between(self, since: datetime | None, until: datetime) -> pd.DataFrame:
        lo = 0 if since is None else np.searchsorted(self.times, _np_time(since), side="left")
        hi = np.searchsorted(self.times, _np_time(until), side="left")
        return self.events.iloc[lo:hi]


def _np_time(t: datetime) -> np.datetime64:
    return pd.Timestamp(t).tz_convert("UTC").tz_localize(None).to_datetime64()


def _count(events: pd.DataFrame, id_column: str, index: pd.Index, action: str | None = None):
    if action is not None and len(events):
        events = events[events["action"] == action]
    if events.empty:
        return np.zeros(len(index), dtype=np.int64)
    return events[id_column].value_counts().reindex(index, fill_value=0).to_numpy(np.int64)


def member_profiles(tables: Tables, snapshot_times: Sequence[datetime], *, top_k: int = 5):
    """Member profile rows (MEMBER_SCHEMA) for every member created before each snapshot."""
    members = tables.members.set_index("member_id")
    created = pd.to_datetime(members["created_at"], utc=True)
    intent = (
        members["seeker_intent"].fillna("unknown")
        if "seeker_intent" in members
        else pd.Series("unknown", index=members.index)
    )
    skills = top_skills(tables.member_skills, "member_id", top_k)
    engagements = _EventWindow(tables.engagements)
    positions = None
    if tables.member_positions is not None and len(tables.member_positions):
        positions = tables.member_positions.sort_values(["start_at", "member_id"], kind="stable")
        positions = positions.assign(start_at=pd.to_datetime(positions["start_at"], utc=True))
    frames = []
    for s in snapshot_times:
        s = pd.Timestamp(s).tz_convert("UTC")
        ids = members.index[(created < s).to_numpy()]
        m = members.loc[ids]
        title, company, n_positions = m["title"], m["company"], np.zeros(len(ids), np.int64)
        if positions is not None:
            started = positions[positions["start_at"] < s]
            latest = started.groupby("member_id").last()
            title = latest["title"].reindex(ids).fillna(m["title"])
            company = latest["company"].reindex(ids).fillna(m["company"])
            n_positions = started["member_id"].value_counts().reindex(ids, fill_value=0)
        past = engagements.between(None, s)
        recent = engagements.between(s - RECENT, s)
        frames.append(
            pd.DataFrame(
                {
                    "member_id": ids.to_numpy(np.int64),
                    "seniority": m["seniority"].to_numpy(np.int64),
                    "is_premium": m["is_premium"].to_numpy(bool),
                    "seeker_intent": intent.loc[ids].to_numpy(object),
                    "location": m["location"].to_numpy(object),
                    "title": np.asarray(title, dtype=object),
                    "company": np.asarray(company, dtype=object),
                    "top_skills": skills.reindex(ids).fillna("").to_numpy(object),
                    "tenure_days": ((s - created.loc[ids]).dt.total_seconds() / 86400).to_numpy(
                        np.float32
                    ),
                    "positions_count": np.asarray(n_positions, dtype=np.int64),
                    "views_count": _count(past, "member_id", ids, "view"),
                    "clicks_count": _count(past, "member_id", ids, "click"),
                    "saves_count": _count(past, "member_id", ids, "save"),
                    "applies_count": _count(past, "member_id", ids, "apply"),
                    "engagements_7d": _count(recent, "member_id", ids),
                    "applies_7d": _count(recent, "member_id", ids, "apply"),
                    "event_timestamp": s,
                    "feature_ts": s,
                }
            )
        )
    return _to_arrow(frames, MEMBER_SCHEMA)


def job_profiles(tables: Tables, snapshot_times: Sequence[datetime], *, top_k: int = 5):
    """Job profile rows (JOB_SCHEMA) for every job posted before each snapshot."""
    jobs = tables.jobs.set_index("job_id")
    posted = pd.to_datetime(jobs["posted_at"], utc=True)
    expires = pd.to_datetime(jobs["expires_at"], utc=True)
    skills = top_skills(tables.job_skills, "job_id", top_k)
    engagements = _EventWindow(tables.engagements)
    recruiter = _EventWindow(tables.recruiter_actions)
    frames = []
    for s in snapshot_times:
        s = pd.Timestamp(s).tz_convert("UTC")
        ids = jobs.index[(posted < s).to_numpy()]
        j = jobs.loc[ids]
        past = engagements.between(None, s)
        recent = engagements.between(s - RECENT, s)
        frames.append(
            pd.DataFrame(
                {
                    "job_id": ids.to_numpy(np.int64),
                    "seniority": j["seniority"].to_numpy(np.int64),
                    "is_promoted": j["is_promoted"].to_numpy(bool),
                    "location": j["location"].to_numpy(object),
                    "title": j["title"].to_numpy(object),
                    "company": j["company"].to_numpy(object),
                    "top_skills": skills.reindex(ids).fillna("").to_numpy(object),
                    "posted_at": posted.loc[ids].to_numpy(),
                    "expires_at": expires.loc[ids].to_numpy(),
                    "age_days": ((s - posted.loc[ids]).dt.total_seconds() / 86400).to_numpy(
                        np.float32
                    ),
                    "views_count": _count(past, "job_id", ids, "view"),
                    "clicks_count": _count(past, "job_id", ids, "click"),
                    "applies_count": _count(past, "job_id", ids, "apply"),
                    "applies_7d": _count(recent, "job_id", ids, "apply"),
                    "recruiter_actions_count": _count(recruiter.between(None, s), "job_id", ids),
                    "event_timestamp": s,
                    "feature_ts": s,
                }
            )
        )
    return _to_arrow(frames, JOB_SCHEMA)


def _to_arrow(frames: list[pd.DataFrame], schema: pa.Schema) -> pa.Table:
    if not frames:
        return schema.empty_table()
    df = pd.concat(frames, ignore_index=True)
    for col in ("event_timestamp", "feature_ts", "posted_at", "expires_at"):
        if col in df:
            df[col] = pd.to_datetime(df[col], utc=True)
    return pa.Table.from_pandas(df, schema=schema, preserve_index=False)


def write_profile_features(
    tables: Tables, snapshot_times: Sequence[datetime], repo_dir: Path | str, *, top_k: int = 5
) -> dict[str, Path]:
    """Write `data/member_profile.parquet` and `data/job_profile.parquet` into the repo."""
    data = repo_data_dir(repo_dir)
    out = {
        "member_profile": data / "member_profile.parquet",
        "job_profile": data / "job_profile.parquet",
    }
    member = member_profiles(tables, snapshot_times, top_k=top_k)
    job = job_profiles(tables, snapshot_times, top_k=top_k)
    write_parquet(member, out["member_profile"])
    write_parquet(job, out["job_profile"])
    return out
