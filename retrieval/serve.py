"""One retrieval request: the live jobs' vectors in an index, the rules as its filter, top k.

`retrieve` takes vectors already computed (the GNN embeddings read from the store, or the EBR
towers' outputs); `retrieve_gnn` reads everything for the GNN option from the feature store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from linksage.config import IndexParams
from retrieval.index import JobIndex
from retrieval.rules import JobRules, Request
from retrieval.store import RetrievalInputError, has_vector, live_job_ids, read_jobs, read_member

MEMBER_VECTORS, JOB_VECTORS = "member_gnn", "job_gnn"


@dataclass
class Retrieved:
    """The top jobs of one request, best first; empty with a `reason` when nothing qualifies."""

    job_ids: np.ndarray
    scores: np.ndarray
    reason: str | None = None
    n_live: int = 0
    n_passing: int | None = None  # jobs passing the rules (None with the rules off)
    notes: list[str] = field(default_factory=list)


def empty(reason: str, **counts) -> Retrieved:
    """A result with no job and the reason why."""
    return Retrieved(np.zeros(0, np.int64), np.zeros(0, np.float32), reason, **counts)


def retrieve(
    job_ids: np.ndarray,
    job_vectors: np.ndarray,
    rules: JobRules,
    request: Request,
    member_vector: np.ndarray,
    *,
    k: int,
    use_rules: bool = True,
    params: IndexParams = IndexParams(),
) -> Retrieved:
    """Top `k` of the live jobs (rows of `job_ids`, `job_vectors`, `rules`) for one request, the
    rules applied inside the index's search (one pass); without them, only liveness."""
    if len(job_ids) == 0:
        return empty("no job with a vector is live at the request time")
    rows = rules.rows(request) if use_rules else rules.live_rows(request.at_ns)
    n_live = len(rules.live_rows(request.at_ns))
    if len(rows) == 0:
        reason = rules.counts(request).reason() if use_rules else "no job is live"
        return empty(reason, n_live=n_live, n_passing=0 if use_rules else None)
    found, scores = JobIndex(job_vectors, params).search(member_vector, k, rows)
    return Retrieved(
        job_ids[found], scores, n_live=n_live, n_passing=len(rows) if use_rules else None
    )


def retrieve_gnn(
    store,
    member_id: int,
    at_ns: int,
    *,
    k: int,
    query: str | None = None,
    use_rules: bool = True,
    params: IndexParams = IndexParams(),
) -> Retrieved:
    """The GNN option, all from the feature store: the member's profile and `member_gnn`
    embedding, the live jobs' profiles and `job_gnn` embeddings (online store)."""
    member = read_member(store, member_id, vector_view=MEMBER_VECTORS)
    if member.vector is None:
        raise RetrievalInputError(
            f"--member {member_id}: no vector yet ({MEMBER_VECTORS} has no embedding for this "
            "member in the online store; run `linksage materialize` or the nearline worker)"
        )
    ids = live_job_ids(store, at_ns)
    if len(ids) == 0:  # Feast refuses an online read of no entity
        return empty("no job is live at the request time")
    columns, vectors = read_jobs(store, ids, vector_view=JOB_VECTORS)
    return retrieve_among(
        ids, vectors, columns, member.request(at_ns, query), member.vector,
        k=k, use_rules=use_rules, params=params,
    )  # fmt: skip


def retrieve_among(
    job_ids: np.ndarray,
    vectors: np.ndarray,
    columns: Mapping[str, Sequence],
    request: Request,
    member_vector: np.ndarray,
    *,
    k: int,
    use_rules: bool,
    params: IndexParams,
) -> Retrieved:
    """`retrieve` over jobs read from the store (profile `columns`, `vectors` with NaN rows
    for jobs without one yet): jobs without a vector are left out, and a note says how many."""
    if len(job_ids) == 0:
        return empty("no job is live at the request time")
    keep = has_vector(vectors)
    rules = JobRules.from_columns(
        {c: np.asarray(columns[c], dtype=object)[keep] for c in JobRules.column_names()}
    )
    result = retrieve(
        job_ids[keep], vectors[keep], rules, request, member_vector,
        k=k, use_rules=use_rules, params=params,
    )  # fmt: skip
    if (~keep).any():
        missing = int((~keep).sum())
        result.notes.append(f"{missing} live job(s) have no vector yet and were left out")
    return result
