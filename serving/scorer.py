"""One ranking request end to end: the member's row from the online store, the candidates (given,
or retrieved from the in-memory corpus with the quality rules), the request features and the
member's history, then the run's ONNX model over job-side inputs computed at table load."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd
import redis

from linksage.config import IndexParams
from linksage.timeutil import ns
from rankers.features.request import (
    JOB_SKILLS,
    JOB_TITLE,
    MEMBER_SKILLS,
    MEMBER_TITLE,
    pair_overlaps,
    word_sets,
    words,
)
from retrieval.serve import retrieve
from retrieval.store import MEMBER_FEATURES, Member
from serving.api import InvalidRequest, NotFound, RankRequest, Unavailable
from serving.job_table import JobSnapshot, JobTable, StaleTableError
from serving.runs import ServedRun

MEMBER_VECTOR = "member_gnn__embedding"
# what a store that went away raises through Feast (Redis, SQLite) and the socket under them
STORE_ERRORS = (redis.exceptions.RedisError, sqlite3.Error, OSError)


class Scorer:
    """The served runs (task -> ServedRun) over one online store and one job table."""

    def __init__(
        self,
        store,
        runs: Mapping[str, ServedRun],
        table: JobTable,
        member_refs: list[str],
        *,
        max_candidates: int,
        max_k: int,
        index_params: IndexParams,
    ):
        self.store, self.runs, self.table, self.member_refs = store, dict(runs), table, member_refs
        self.max_candidates, self.max_k, self.index_params = max_candidates, max_k, index_params

    def rank(self, request: RankRequest) -> dict:
        """The request's jobs scored best first, with the job table's age and what was done."""
        run = self._run(request)
        try:
            snapshot = self.table.current()
        except StaleTableError as err:
            raise Unavailable(str(err)) from None
        at = pd.Timestamp(request.at or pd.Timestamp.now(tz="UTC"))
        at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
        member = self.member_row(request.member_id)
        notes: list[str] = []
        if request.candidates is not None:
            pos = self._candidate_positions(snapshot, request.candidates)
        else:
            pos = self._retrieve(snapshot, member, request, ns(at), notes)
        scores = self._score(run, snapshot, member, pos, request, at) if len(pos) else []
        ids = snapshot.job_ids[pos]
        order = np.lexsort((ids, -np.asarray(scores, dtype=np.float64)))
        return {
            "member_id": request.member_id,
            "task": run.task,
            "jobs": [{"job_id": int(ids[i]), "score": float(scores[i])} for i in order],
            "retrieved": request.k is not None,
            "job_table_age_s": round(time.time() - snapshot.loaded_at, 3),
            "notes": notes,
        }

    def _run(self, request: RankRequest) -> ServedRun:
        if request.task not in self.runs:
            served = ", ".join(sorted(self.runs))
            raise InvalidRequest(f"task: unknown task {request.task!r}; served: {served}")
        if request.candidates is not None and len(request.candidates) > self.max_candidates:
            raise InvalidRequest(
                f"candidates: {len(request.candidates)} given, at most {self.max_candidates} "
                "per request (serving.max_candidates)"
            )
        if request.k is not None and request.k > self.max_k:
            raise InvalidRequest(f"k: {request.k} asked, at most {self.max_k} (serving.max_k)")
        return self.runs[request.task]

    def member_row(self, member_id: int) -> dict:
        """The member's online features (full names); NotFound for an unknown member,
        Unavailable when the store is away."""
        try:
            row = self.store.get_online_features(
                features=self.member_refs,
                entity_rows={"member_id": [int(member_id)]},
                full_feature_names=True,
            ).to_dict()
        except STORE_ERRORS as err:
            raise Unavailable(f"online store unavailable: {type(err).__name__}: {err}") from None
        profile = [v[0] for k, v in row.items() if k.startswith("member_profile__")]
        if all(v is None for v in profile):
            raise NotFound(f"member_id: unknown member {member_id} (no member_profile row online)")
        return {k: v[0] for k, v in row.items()}

    def _candidate_positions(self, snapshot: JobSnapshot, candidates: list[int]) -> np.ndarray:
        pos, unknown = snapshot.positions(candidates)
        if unknown:
            shown = ", ".join(map(str, unknown[:5])) + (", ..." if len(unknown) > 5 else "")
            raise InvalidRequest(f"candidates: {len(unknown)} unknown job id(s): {shown}")
        return pos

    def _retrieve(self, snapshot, member: dict, request, at_ns: int, notes) -> np.ndarray:
        """Table positions of the top `k` live jobs passing the rules, by the GNN vectors."""
        corpus = snapshot.prepared["retrieval"]
        vector = member.get(MEMBER_VECTOR)
        if vector is None:
            raise InvalidRequest(
                f"k: member {request.member_id} has no {MEMBER_VECTOR} yet to retrieve with; "
                "give candidates instead"
            )
        profile = {f: member.get(f"member_profile__{f}") for f in MEMBER_FEATURES}
        profile["seniority"] = None if profile["seniority"] is None else int(profile["seniority"])
        rules_request = Member(request.member_id, **profile, vector=None).request(
            at_ns, request.query
        )
        found = retrieve(
            corpus["job_ids"], corpus["vectors"], corpus["rules"], rules_request,
            np.asarray(vector, np.float32), k=request.k, params=self.index_params,
        )  # fmt: skip
        if found.reason:
            notes.append(found.reason)
        return snapshot.positions(found.job_ids)[0]

    def _score(self, run, snapshot, member: dict, pos, request, at) -> np.ndarray:
        """The run's scores of the table rows `pos`: the pair columns from the jobs' word sets
        (computed per table load) and the member's, the history looked up once for the member."""
        ids, n = snapshot.job_ids[pos], len(pos)
        columns = {}
        if run.task != "ebr":
            jobs = snapshot.prepared["job_words"]
            person = word_sets(pd.Series([member.get(MEMBER_TITLE)], dtype=object),
                               pd.Series([member.get(MEMBER_SKILLS)], dtype=object))[0]  # fmt: skip
            columns = pair_overlaps(
                run.task, [words(request.query)] * n, [person] * n,
                list(jobs[JOB_TITLE][pos]), list(jobs[JOB_SKILLS][pos]),
            )  # fmt: skip
        if run.needs_history:
            vectors = snapshot.prepared["job_vectors"][pos]
            columns |= run.history.for_request(request.member_id, at, ids, vectors)
        rows = pd.DataFrame(columns, index=pd.RangeIndex(n))
        job_arrays = {name: values[pos] for name, values in snapshot.prepared[run.task].items()}
        member_row = member | {"member_id": request.member_id, "query": request.query}
        return run.score(run.member_inputs(member_row), rows, job_arrays)
