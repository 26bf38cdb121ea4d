"""What the log says about a member at a moment: engagements strictly before it, and how jobs
are co-engaged.

One home for two readers: the rankers' history features (rankers/features/history.py) and the item-kNN
baseline (evaluation/collaborative.py) look a member up the same way, point in time to the
nanosecond, never frozen at a window's start.

- `EngagementLog`: each member's clicks, saves and applies, sorted by (member, time), and the
  engagements of any (member, time) query that happened strictly before the time.
- `engagement_matrix`: the binary members x jobs matrix of a time window.
- `item_similarity`: Dacrema et al.'s ItemKNN-CF (RecSys 2019) job x job similarity: shrunk
  cosine of co-engagement, top-k neighbours per job.

Written with scipy.sparse and numpy: the libraries that do item-kNN (implicit's ItemItem
recommenders) score a user's whole history at fit time, not point in time per request.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from linksage.timeutil import ns_array

ACTIONS = ("click", "save", "apply")  # the engagements that say a member wanted a job
KNN_TOP_K = 50  # neighbours kept per job (Dacrema et al.'s ItemKNN-CF default)
KNN_SHRINK = 100.0  # added to the cosine's denominator (their default): rare pairs count less


class EngagementLog:
    """Each member's clicks, saves and applies in time order, for point-in-time look-ups; jobs
    are columns of `job_index` (-1 for a job outside it)."""

    def __init__(self, engagements: pd.DataFrame, job_index: pd.Index):
        e = engagements[engagements["action"].isin(ACTIONS)]
        self.n_jobs = len(job_index)
        member = e["member_id"].to_numpy()
        at = ns_array(e["at"])
        order = np.lexsort((at, member))
        self.member, self.at = member[order], at[order]
        self.job = job_index.get_indexer(e["job_id"].to_numpy())[order]

    def before(self, member_ids: np.ndarray, at_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each query (member, time): the range [start, end) of this log's entries that are
        the member's engagements strictly before the time, oldest first. Two searchsorted calls
        for all queries: member codes times the number of distinct times, plus the time's rank,
        order (member, time) pairs as the log is sorted."""
        member_ids = np.asarray(member_ids)
        at_ns = np.asarray(at_ns, dtype=np.int64)
        n = len(self.member)
        codes, _ = pd.factorize(np.concatenate([self.member, member_ids]))  # log codes ascend
        _, rank = np.unique(np.concatenate([self.at, at_ns]), return_inverse=True)
        span = np.int64(rank.max() + 2 if len(rank) else 1)
        key = codes[:n].astype(np.int64) * span + rank[:n]
        q_code = codes[n:].astype(np.int64)
        start = np.searchsorted(key, q_code * span, side="left")
        end = np.searchsorted(key, q_code * span + rank[n:], side="left")  # strictly before
        return start, end

    def matrix(self, member_ids: np.ndarray, at_ns: np.ndarray) -> sparse.csr_matrix:
        """Binary (query x job) matrix: the jobs each member engaged with strictly before its
        query's time (a job engaged with twice is one engaged job)."""
        start, end = self.before(member_ids, at_ns)
        counts = end - start
        indptr = np.concatenate([[0], np.cumsum(counts)])
        take = np.repeat(start - indptr[:-1], counts) + np.arange(indptr[-1])
        cols = self.job[take]
        keep = cols >= 0
        row = np.repeat(np.arange(len(counts)), counts)[keep]
        h = sparse.csr_matrix(
            (np.ones(int(keep.sum())), (row, cols[keep])), shape=(len(counts), self.n_jobs)
        )
        h.sum_duplicates()
        h.data[:] = 1.0
        return h


def engagement_matrix(
    engagements: pd.DataFrame, job_index: pd.Index, start, end
) -> tuple[sparse.csr_matrix, pd.Index]:
    """The binary members x jobs matrix of clicks, saves and applies with start <= at < end
    (None: unbounded), and its members (row i = member ids[i])."""
    e = engagements
    at = pd.to_datetime(e["at"], utc=True)
    keep = e["action"].isin(ACTIONS).to_numpy()
    if start is not None:
        keep &= (at >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        keep &= (at < pd.Timestamp(end)).to_numpy()
    rows, members = pd.factorize(e.loc[keep, "member_id"].to_numpy())
    cols = job_index.get_indexer(e.loc[keep, "job_id"].to_numpy())
    known = cols >= 0
    x = sparse.csr_matrix(
        (np.ones(int(known.sum())), (rows[known], cols[known])),
        shape=(len(members), len(job_index)),
    )
    x.data[:] = 1.0  # duplicates were summed: binary
    return x, pd.Index(members)


def item_similarity(
    x: sparse.csr_matrix, top_k: int = KNN_TOP_K, shrink: float = KNN_SHRINK
) -> sparse.csr_matrix:
    """Job x job similarity S with S[i, j] = |i and j| / (sqrt(|i| |j|) + shrink) over the
    members of `x`, 0 on the diagonal, each column j keeping its `top_k` largest entries (ties:
    the lower job first). A member's score for job j is sum over engaged i of S[i, j]."""
    x = sparse.csr_matrix(x, dtype=np.float64)
    co = (x.T @ x).tocoo()
    norm = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
    off = co.row != co.col
    r, c = co.row[off], co.col[off]
    value = co.data[off] / (norm[r] * norm[c] + shrink)
    order = np.lexsort((r, -value, c))  # by column, then the largest first
    r, c, value = r[order], c[order], value[order]
    first = np.searchsorted(c, c, side="left")
    keep = (np.arange(len(c)) - first) < top_k
    n = x.shape[1]
    return sparse.csr_matrix((value[keep], (r[keep], c[keep])), shape=(n, n))
