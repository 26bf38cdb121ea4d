"""Small hand-made inputs for the feature-store tests: tables, snapshots, embeddings parquet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linksage.data.tables import Tables
from linksage.feature_store import copy_repo
from linksage.feature_store.embeddings import embeddings_table
from linksage.feature_store.profile_features import write_profile_features

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SNAPSHOTS = [T0 + timedelta(days=d) for d in (1, 2, 3)]
DIM = 8
MEMBERS = [1, 2, 3, 4]
JOBS = [10, 11, 12]
MODEL = "model-abc"


def hand_tables() -> Tables:
    """Four members, three jobs, a few engagements, positions and skills, times known exactly."""
    day = timedelta(days=1)
    members = pd.DataFrame(
        {
            "member_id": MEMBERS,
            "title": ["eng", "pm", "ds", "eng"],
            "company": ["acme", "beta", "acme", "gamma"],
            "seniority": [1, 3, 2, 5],
            "location": ["paris", "nyc", "paris", "berlin"],
            "is_premium": [True, False, False, True],
            "seeker_intent": ["urgent", None, "passive", "open_to_job"],
            "created_at": [T0, T0, T0 + 1.5 * day, T0],
        }
    )
    jobs = pd.DataFrame(
        {
            "job_id": JOBS,
            "title": ["eng", "pm", "ds"],
            "company": ["acme", "beta", "gamma"],
            "seniority": [1, 3, 2],
            "location": ["paris", "nyc", "berlin"],
            "is_promoted": [False, True, False],
            "posted_at": [T0, T0 + 0.5 * day, T0 + 2 * day],
            "expires_at": [T0 + 30 * day] * 3,
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
                T0 + 0.2 * day,
                T0 + 0.3 * day,
                T0 + 1.2 * day,
                T0 + 1.9 * day,
                T0 + 0.9 * day,
                SNAPSHOTS[1],
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
            "start_at": [T0 - 100 * day, T0 + 1.5 * day],
            "end_at": [T0 + 1.5 * day, pd.NaT],
        }
    )
    recruiter = pd.DataFrame(
        {"job_id": [10], "member_id": [1], "action": ["message"], "at": [T0 + 0.5 * day]}
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


def embedding_tables(seed: int = 0, model: str = MODEL) -> dict[str, pa.Table]:
    """Random embeddings per snapshot; member 4 and job 12 only have the first snapshot's
    (job 12 is posted later, so it only has the last one), so "newest" is not always the last."""
    rng = np.random.default_rng(seed)
    out = {}
    for entity, ids in (("member", MEMBERS), ("job", JOBS)):
        parts = []
        for i, s in enumerate(SNAPSHOTS):
            last = i == len(SNAPSHOTS) - 1
            if entity == "member":
                present = [m for m in ids if m != 4 or i == 0]
            else:
                present = [j for j in ids if j != 12 or last]
            vectors = rng.normal(size=(len(present), DIM)).astype(np.float32)
            parts.append(
                embeddings_table(
                    id_column=f"{entity}_id",
                    ids=present,
                    vectors=vectors,
                    event_timestamps=[s] * len(present),
                    model_version=model,
                )
            )
        out[entity] = pa.concat_tables(parts)
    return out


def write_embeddings(repo: Path, tables: dict[str, pa.Table]) -> None:
    for entity, table in tables.items():
        pq.write_table(table, repo / "data" / f"{entity}_embeddings.parquet")


def build_repo(dst: Path) -> Path:
    """A temp copy of the repo with profile features and embeddings written (not applied)."""
    repo = copy_repo(dst)
    write_profile_features(hand_tables(), SNAPSHOTS, repo)
    write_embeddings(repo, embedding_tables())
    return repo


def newest_rows(table: pa.Table, id_column: str) -> pd.DataFrame:
    """The newest row per entity of an embeddings table."""
    df = table.to_pandas()
    return df.sort_values("event_timestamp").groupby(id_column).tail(1).set_index(id_column)
