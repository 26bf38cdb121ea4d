"""What each request ranks, and the Recall@K cut-off that does not saturate on it.

A ranking request (jymbii, search) ranks its candidate list (its rows in the predictions); an EBR
request ranks every job live at its `at` (`posted_at <= at < expires_at`). Recall@K with K close
to the number of candidates is 1 for every model, so K is chosen from the data: the largest
standard cut-off at most `max_share` (default 10%) of the median number of candidates, and at
least 1.

`corpus_ranks` ranks given jobs against the live corpus under any job score; the EBR popularity
baseline uses it (evaluation.baselines).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from linksage.data.live_jobs import live_at


@dataclass(frozen=True)
class CandidateSizes:
    """How many items the requests of a task rank, and the Recall@K chosen from that."""

    what: str  # "candidate list" or "live corpus" (or "live corpus (lower bound)")
    mean: float
    median: float
    min: int
    max: int
    recall_k: int
    max_share: float  # K is at most this share of the median size

    def as_json(self) -> dict:
        """details.<task>.candidates in report.json."""
        return {
            "what": self.what,
            "mean": float(self.mean),
            "median": float(self.median),
            "min": int(self.min),
            "max": int(self.max),
            "recall_k": int(self.recall_k),
            "max_share": float(self.max_share),
        }


def choose_recall_k(median_size: float, standard: Sequence[int], max_share: float) -> int:
    """The largest standard K that is at most `max_share` of the median size; at least 1."""
    fitting = [k for k in standard if k <= max_share * median_size]
    return max(fitting + [1])


def live_corpus_sizes(at: pd.Series, jobs: pd.DataFrame) -> np.ndarray:
    """Jobs live at each time: posted at or before it, expiring after it."""
    t = pd.to_datetime(at, utc=True).to_numpy()
    posted = np.sort(pd.to_datetime(jobs["posted_at"], utc=True).to_numpy())
    expired = np.sort(pd.to_datetime(jobs["expires_at"], utc=True).to_numpy())
    return np.searchsorted(posted, t, side="right") - np.searchsorted(expired, t, side="right")


def candidate_sizes(
    task: str,
    rows: pd.DataFrame,
    jobs: pd.DataFrame | None,
    standard: Sequence[int],
    max_share: float,
) -> CandidateSizes:
    """Candidate-list sizes (ranking) or live-corpus sizes (EBR) of the requests in `rows`, and
    the Recall@K chosen from their median. Without the jobs table EBR falls back to the largest
    rank seen per request, a lower bound of its corpus."""
    if task == "ebr":
        firsts = rows.groupby("request_id", sort=True).agg(at=("at", "first"), rank=("rank", "max"))
        if jobs is not None:
            sizes, what = live_corpus_sizes(firsts["at"], jobs), "live corpus"
        else:
            sizes, what = firsts["rank"].to_numpy(), "live corpus (lower bound: largest rank)"
    else:
        sizes, what = rows.groupby("request_id").size().to_numpy(), "candidate list"
    if len(sizes) == 0:
        return CandidateSizes(what, 0.0, 0.0, 0, 0, 1, max_share)
    median = float(np.median(sizes))
    k = choose_recall_k(median, standard, max_share)
    mean = float(np.mean(sizes))
    return CandidateSizes(what, mean, median, int(sizes.min()), int(sizes.max()), k, max_share)


def corpus_ranks(
    at: pd.Series, job_id: pd.Series, jobs: pd.DataFrame, job_score: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """First and last 1-based position of each (at, job) among the jobs live at `at`, ordered
    by `job_score` (job_id -> score, missing = 0) descending; ties span their whole group, as
    evaluation.metrics does for rankers. A job not live at `at` is still ranked against the live
    jobs (as docs/report.md says of EBR)."""
    t = pd.to_datetime(at, utc=True).to_numpy()
    score_of = jobs["job_id"].map(job_score).fillna(0.0).to_numpy(np.float64)
    own = job_id.map(job_score).fillna(0.0).to_numpy(np.float64)
    posted = pd.to_datetime(jobs["posted_at"], utc=True).to_numpy()
    expires = pd.to_datetime(jobs["expires_at"], utc=True).to_numpy()
    own_live = pd.Series(job_id.to_numpy()).map(
        pd.Series(np.arange(len(jobs)), index=jobs["job_id"].to_numpy())
    )
    greater, equal = np.zeros(len(t), np.int64), np.zeros(len(t), np.int64)
    # one pass per distinct score among the ranked jobs (popularity has few distinct values)
    for value in np.unique(own):
        rows = own == value
        for out, mask in ((greater, score_of > value), (equal, score_of == value)):
            p, e = np.sort(posted[mask]), np.sort(expires[mask])
            out[rows] = np.searchsorted(p, t[rows], side="right") - np.searchsorted(
                e, t[rows], side="right"
            )
    idx = own_live.to_numpy()
    known = ~pd.isna(idx)
    live = np.zeros(len(t), dtype=bool)
    ii = idx[known].astype(np.int64)
    live[known] = live_at(posted[ii], expires[ii], t[known])
    lo = greater + 1
    hi = lo + equal - live.astype(np.int64)  # the live tied jobs other than itself
    return lo, hi
