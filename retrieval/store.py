"""Reads from the Feast feature store for a retrieval request.

The jobs live at the request time are listed from `job_profile`'s batch source (the online store
cannot enumerate its keys); their features and vectors, and the member's, are read from the
online store. Feature names are Feast's full names, `<view>__<feature>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from linksage.data.live_jobs import live_at
from linksage.errors import LinksageError
from linksage.feature_store import FeatureStoreError
from retrieval.rules import JOB_FEATURES, Request, profile_terms, timestamps_ns, words

MEMBER_FEATURES = ("seniority", "location", "title", "top_skills")
VECTOR = "embedding"


class RetrievalInputError(LinksageError):
    """A retrieval request names a member the store cannot serve."""

    exit_code = 2


@dataclass(frozen=True)
class Member:
    """A member's profile as the rules read it, and its vector (None: none stored yet)."""

    member_id: int
    seniority: int | None
    location: str | None
    title: str | None
    top_skills: str | None
    vector: np.ndarray | None

    def request(self, at_ns: int, query: str | None = None) -> Request:
        """The rules' view of a request by this member (terms from the query when given)."""
        terms = frozenset(words(query)) if query else profile_terms(self.title, self.top_skills)
        return Request(at_ns, self.seniority, self.location, terms)


def read_member(store, member_id: int, *, vector_view: str | None = "member_gnn") -> Member:
    """The member's profile (and `<vector_view>.embedding`) from the online store; a
    RetrievalInputError when the store has no profile for the member."""
    refs = [f"member_profile:{f}" for f in MEMBER_FEATURES]
    if vector_view:
        refs.append(f"{vector_view}:{VECTOR}")
    row = _online(store, refs, "member_id", [member_id])
    profile = {f: row[f"member_profile__{f}"][0] for f in MEMBER_FEATURES}
    if all(v is None for v in profile.values()):
        raise RetrievalInputError(
            f"--member {member_id}: unknown member (no member_profile row in the online store "
            f"of {store.repo_path})"
        )
    vector = row[f"{vector_view}__{VECTOR}"][0] if vector_view else None
    return Member(
        member_id=int(member_id),
        seniority=None if profile["seniority"] is None else int(profile["seniority"]),
        location=profile["location"],
        title=profile["title"],
        top_skills=profile["top_skills"],
        vector=None if vector is None else np.asarray(vector, dtype=np.float32),
    )


def live_job_ids(store, at_ns: int) -> np.ndarray:
    """Ids of the jobs live at `at_ns` (posted_at <= t < expires_at), ascending, from the
    batch source of the `job_profile` view."""
    path = Path(store.get_feature_view("job_profile").batch_source.path)
    path = path if path.is_absolute() else Path(store.repo_path) / path
    if not path.is_file():
        raise FeatureStoreError(f"{path}: job_profile source not found; run `linksage features`")
    table = pq.read_table(path, columns=["job_id", "posted_at", "expires_at"])
    posted = timestamps_ns(table["posted_at"])
    expires = timestamps_ns(table["expires_at"])
    ids = table["job_id"].to_numpy()
    return np.unique(ids[live_at(posted, expires, at_ns)]).astype(np.int64)


def read_jobs(
    store, job_ids: Sequence[int], *, vector_view: str | None = "job_gnn"
) -> tuple[dict[str, list], np.ndarray | None]:
    """The jobs' profile columns (`job_profile__<feature>`) from the online store, and the
    vectors of `<vector_view>.embedding` (rows of NaN where a job has none yet)."""
    refs = [f"job_profile:{f}" for f in JOB_FEATURES]
    if vector_view:
        refs.append(f"{vector_view}:{VECTOR}")
    columns = _online(store, refs, "job_id", job_ids)
    if not vector_view:
        return columns, None
    return columns, stack_vectors(columns.pop(f"{vector_view}__{VECTOR}"))


def stack_vectors(values: Sequence) -> np.ndarray:
    """A list of vectors (None for a missing one) as a float32 matrix, NaN rows for None."""
    present = [np.asarray(v, dtype=np.float32) for v in values if v is not None]
    dim = len(present[0]) if present else 0
    out = np.full((len(values), dim), np.nan, dtype=np.float32)
    for i, v in enumerate(values):
        if v is not None:
            out[i] = v
    return out


def _online(store, refs: list[str], key: str, ids: Sequence[int]) -> dict[str, list]:
    rows = {key: [int(i) for i in ids]}
    response = store.get_online_features(features=refs, entity_rows=rows, full_feature_names=True)
    return response.to_dict()


def has_vector(vectors: np.ndarray) -> np.ndarray:
    """Rows of a stacked matrix that hold a vector (not the NaN placeholder)."""
    return ~np.isnan(vectors).any(axis=1) if vectors.size else np.zeros(len(vectors), bool)


__all__ = [
    "MEMBER_FEATURES",
    "Member",
    "RetrievalInputError",
    "has_vector",
    "live_job_ids",
    "read_jobs",
    "read_member",
    "stack_vectors",
]
