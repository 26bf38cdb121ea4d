"""Collaborative-filtering baselines: item-kNN and implicit ALS, fitted on the ranker's train
window and scored on the same requests as the arms.

- `item_knn` (Dacrema et al., RecSys 2019, ItemKNN-CF): the cosine of co-engagement between
  jobs over the members x jobs binary matrix of the train window's clicks, saves and applies,
  with a shrink term and each job's `KNN_TOP_K` nearest neighbours. A candidate scores the sum of
  its similarities to the jobs the member engaged with **strictly before the request time**, at
  any time (also before the window, also earlier in the test window): point in time, as a
  serving system would see the member, never frozen at a window's start.
- `als` (Hu, Koren and Volinsky 2008; the `implicit` package): member and job factors fitted on
  the same matrix; a candidate scores member factor . job factor. A member or job with no click,
  save or apply in the train window has no factor and scores 0.

The settings are fixed module constants, chosen once and never tuned on any window. Scores are
computed for blocks of (member, time) queries against every job at once (dense, at most
`BLOCK_CELLS` cells per block), which serves both a candidate list (gather the candidates) and
EBR's whole live corpus (rank among the live jobs).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from linksage.data.history import (
    EngagementLog,
    engagement_matrix,
    item_similarity,
)
from linksage.data.live_jobs import live_at
from linksage.data.matrix_factorization import als_factors
from linksage.timeutil import ns_array

BLOCK_CELLS = 4_000_000  # dense query x job scores per block: 32 MB of float64
_NEVER = np.iinfo(np.int64).max


@dataclass
class Catalogue:
    """Every job a baseline may score (column j = `ids[j]`), with its live interval in ns."""

    ids: pd.Index
    posted_ns: np.ndarray
    expires_ns: np.ndarray

    @classmethod
    def build(cls, jobs: pd.DataFrame, engagements: pd.DataFrame) -> Catalogue:
        """The jobs table's jobs, then jobs only the engagements name (never live)."""
        extra = np.setdiff1d(engagements["job_id"].unique(), jobs["job_id"].to_numpy())
        ids = pd.Index(np.concatenate([jobs["job_id"].to_numpy(), extra]))
        posted = ns_array(jobs["posted_at"])
        # a missing posted_at is never live (as evaluation.corpus compares NaT)
        posted = np.where(posted == np.iinfo(np.int64).min, _NEVER, posted)
        pad = np.full(len(extra), _NEVER, np.int64)
        expires = np.concatenate([ns_array(jobs["expires_at"]), pad])
        return cls(ids, np.concatenate([posted, pad]), expires)

    def columns(self, job_ids) -> np.ndarray:
        """The column of each job id, -1 for a job outside the catalogue."""
        return self.ids.get_indexer(np.asarray(job_ids))


@dataclass
class ItemKnn:
    """Item-kNN: the similarity and the history it scores against."""

    similarity: sparse.csr_matrix
    history: EngagementLog

    def prepare(self, member_ids: np.ndarray, at_ns: np.ndarray) -> sparse.csr_matrix:
        """The queries' point-in-time histories (built once for all blocks)."""
        return self.history.matrix(member_ids, at_ns)

    def block(self, histories: sparse.csr_matrix, a: int, b: int) -> np.ndarray:
        """Dense scores of queries a..b-1: the sum of similarities to the prior engaged jobs."""
        return (histories[a:b] @ self.similarity).toarray()


@dataclass
class Als:
    """Implicit ALS factors; rows and columns without a fit are zero (they score 0)."""

    members: pd.Index
    member_factors: np.ndarray
    job_factors: np.ndarray  # aligned with the catalogue

    def prepare(self, member_ids: np.ndarray, at_ns: np.ndarray) -> np.ndarray:
        """Each query's member factor (zero for a member absent from the fit)."""
        rows = self.members.get_indexer(member_ids)
        return np.where((rows >= 0)[:, None], self.member_factors[np.maximum(rows, 0)], 0.0)

    def block(self, users: np.ndarray, a: int, b: int) -> np.ndarray:
        """Dense scores of queries a..b-1: member factor . job factor."""
        return users[a:b] @ self.job_factors.T


def fit_als(x: sparse.csr_matrix, members: pd.Index) -> Als:
    """ALS on the members and jobs with at least one engagement in `x` (linksage's fixed
    settings: the same factors on every run)."""
    users, items = als_factors(x)
    return Als(members, users, items)


def _blocks(model, member_ids: np.ndarray, at_ns: np.ndarray, n_jobs: int) -> Iterator:
    """(first query, last query + 1, dense scores) over the queries in blocks."""
    state = model.prepare(member_ids, at_ns)
    size = max(1, BLOCK_CELLS // max(n_jobs, 1))
    for a in range(0, len(member_ids), size):
        b = min(a + size, len(member_ids))
        yield a, b, model.block(state, a, b)


def _queries(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (member, time) queries of `rows`: members, times and each row's query."""
    at = ns_array(rows["at"])
    frame = pd.DataFrame({"m": rows["member_id"].to_numpy(), "t": at})
    query, uniques = pd.factorize(pd.MultiIndex.from_frame(frame))
    return uniques.get_level_values(0).to_numpy(), uniques.get_level_values(1).to_numpy(), query


def row_scores(model, catalogue: Catalogue, rows: pd.DataFrame) -> np.ndarray:
    """Each row's score (member_id, job_id, at); 0 for a job outside the catalogue."""
    members, times, query = _queries(rows)
    cols = catalogue.columns(rows["job_id"])
    order = np.argsort(query, kind="stable")
    sorted_q = query[order]
    out = np.zeros(len(rows))
    for a, b, scores in _blocks(model, members, times, len(catalogue.ids)):
        idx = order[np.searchsorted(sorted_q, a) : np.searchsorted(sorted_q, b)]
        known = cols[idx] >= 0
        out[idx[known]] = scores[query[idx[known]] - a, cols[idx[known]]]
    return out


def corpus_positions(
    model, catalogue: Catalogue, rows: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """First and last 1-based position of each row's job among the jobs live at its `at`, by
    the member's scores, descending; ties span their group, and a job not live is still ranked
    against the live jobs (as evaluation.corpus.corpus_ranks)."""
    members, times, query = _queries(rows)
    cols = catalogue.columns(rows["job_id"])
    order = np.argsort(query, kind="stable")
    sorted_q = query[order]
    lo, hi = np.zeros(len(rows), np.int64), np.zeros(len(rows), np.int64)
    for a, b, scores in _blocks(model, members, times, len(catalogue.ids)):
        idx = order[np.searchsorted(sorted_q, a) : np.searchsorted(sorted_q, b)]
        t = times[query[idx]][:, None]
        live = live_at(catalogue.posted_ns, catalogue.expires_ns, t)
        mine = scores[query[idx] - a]
        c = cols[idx]
        known = c >= 0
        own = np.where(known, mine[np.arange(len(idx)), np.maximum(c, 0)], 0.0)
        own_live = known & live[np.arange(len(idx)), np.maximum(c, 0)]
        greater = (live & (mine > own[:, None])).sum(axis=1)
        equal = (live & (mine == own[:, None])).sum(axis=1)
        lo[idx] = greater + 1
        hi[idx] = lo[idx] + equal - own_live
    return lo, hi


@dataclass
class Fitted:
    """Both collaborative baselines of one train window, over one catalogue."""

    catalogue: Catalogue
    item_knn: ItemKnn
    als: Als


# The last fit, kept with the frames it was fitted on: every task of a report (and the nearline
# section) shares the train window, so the fit runs once. Holding the frames keeps `is` safe.
_LAST: list = []


def fit_baselines(engagements: pd.DataFrame, jobs: pd.DataFrame, start, end) -> Fitted | None:
    """Item-kNN and ALS fitted on the window [start, end); None when it holds no click, save
    or apply."""
    key = (pd.Timestamp(start), pd.Timestamp(end))
    if _LAST and _LAST[0] is engagements and _LAST[1] is jobs and _LAST[2] == key:
        return _LAST[3]
    catalogue = Catalogue.build(jobs, engagements)
    x, members = engagement_matrix(engagements, catalogue.ids, start, end)
    fitted = None
    if x.nnz:
        knn = ItemKnn(item_similarity(x), EngagementLog(engagements, catalogue.ids))
        fitted = Fitted(catalogue, knn, fit_als(x, members))
    _LAST[:] = [engagements, jobs, key, fitted]
    return fitted
