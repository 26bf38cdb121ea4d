"""EBR evaluation by brute force: every request ranks every job live at its time.

The job tower's vectors come from the corpus frame (job features as of the start of the request's
bucket, never later than the request); a request's candidates are the corpus rows of its bucket
whose job is live at the request's exact `at`. Ranks are 1-based positions in the order
(score descending, job_id ascending).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linksage.data.live_jobs import LiveJobs, live_at


def rank_requests(
    requests: pd.DataFrame,
    member_vectors: np.ndarray,
    corpus: pd.DataFrame,
    job_vectors: np.ndarray,
    positives: pd.DataFrame,
    jobs: pd.DataFrame,
    *,
    top_k: int = 100,
) -> pd.DataFrame:
    """Rank the live corpus for each request (request_id, member_id, at, bucket; one row per
    request, aligned with `member_vectors`). Returns the top `top_k` plus every positive
    (request_id, job_id from `positives`), with columns
    request_id, member_id, job_id, at, label, score, rank."""
    live = LiveJobs(jobs)
    posted = dict(zip(live.job_ids, live.posted, strict=True))
    expires = dict(zip(live.job_ids, live.expires, strict=True))
    corpus_jobs = corpus["job_id"].to_numpy(np.int64)
    corpus_posted = np.array([posted.get(j, np.iinfo(np.int64).max) for j in corpus_jobs])
    corpus_expires = np.array([expires.get(j, np.iinfo(np.int64).min) for j in corpus_jobs])
    rows_of_bucket = corpus.groupby("bucket").indices
    pos_of = positives.groupby("request_id")["job_id"].apply(lambda s: set(s.tolist())).to_dict()
    out = []
    for i, req in enumerate(requests.itertuples(index=False)):
        rows = rows_of_bucket.get(req.bucket, np.array([], dtype=np.int64))
        t = pd.Timestamp(req.at).value
        is_live = live_at(corpus_posted[rows], corpus_expires[rows], t)
        scores = job_vectors[rows] @ member_vectors[i]
        job_ids = corpus_jobs[rows]
        wanted = pos_of.get(req.request_id, set())
        order = np.lexsort((job_ids, -scores))
        live_order = order[is_live[order]]
        rank = {int(job_ids[k]): r + 1 for r, k in enumerate(live_order)}
        keep = {int(job_ids[k]) for k in live_order[:top_k]} | wanted
        for k in np.flatnonzero(np.isin(job_ids, list(keep))):
            j = int(job_ids[k])
            r = rank.get(j)
            if r is None:  # a positive not live at `at`: rank it against the live jobs anyway
                r = int(np.sum(scores[is_live] > scores[k])) + 1
            out.append((req.request_id, req.member_id, j, req.at, int(j in wanted), scores[k], r))
    cols = ["request_id", "member_id", "job_id", "at", "label", "score", "rank"]
    df = pd.DataFrame(out, columns=cols).drop_duplicates(["request_id", "job_id"])
    return df.astype(
        {
            "request_id": "int64",
            "member_id": "int64",
            "job_id": "int64",
            "label": "int8",
            "score": "float32",
            "rank": "int64",
        }
    ).reset_index(drop=True)


def recall_at(ranked: pd.DataFrame, ks: tuple[int, ...] = (10, 50, 100)) -> dict[str, float]:
    """Mean over requests of the share of their positives ranked within k."""
    pos = ranked[ranked["label"] == 1]
    if pos.empty:
        return {f"recall@{k}": float("nan") for k in ks}
    return {
        f"recall@{k}": float((pos["rank"] <= k).groupby(pos["request_id"]).mean().mean())
        for k in ks
    }
