"""Jobs live at a moment (posted_at <= t < expires_at) and seeded negative sampling among them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linksage.timeutil import ns_array


class LiveJobs:
    """The job corpus with its live intervals, for "which jobs were live at t" queries."""

    def __init__(self, jobs: pd.DataFrame):
        self.job_ids = jobs["job_id"].to_numpy(dtype=np.int64)
        self.posted = ns_array(jobs["posted_at"])
        self.expires = ns_array(jobs["expires_at"])

    def mask(self, at: pd.Timestamp) -> np.ndarray:
        """Boolean mask over `job_ids` of the jobs live at `at`."""
        t = pd.Timestamp(at).value
        return (self.posted <= t) & (t < self.expires)

    def at(self, at: pd.Timestamp) -> np.ndarray:
        """Ids of the jobs live at `at`."""
        return self.job_ids[self.mask(at)]


def sample_negatives(
    requests: pd.DataFrame, exclude: dict[int, set[int]], jobs: pd.DataFrame, k: int, seed: int
) -> pd.DataFrame:
    """For each request (request_id, member_id, at, split) draw up to `k` distinct jobs live at
    its `at`, excluding the request's own jobs; rows get label 0. Same seed, same draw."""
    live = LiveJobs(jobs)
    rng = np.random.default_rng(seed)
    out = []
    ordered = requests.sort_values(["at", "request_id"], kind="stable")
    for row in ordered.itertuples(index=False):
        pool = live.at(row.at)
        taken = exclude.get(row.request_id, set())
        if taken:
            pool = pool[~np.isin(pool, list(taken))]
        if len(pool) == 0:
            continue
        chosen = rng.choice(pool, size=min(k, len(pool)), replace=False)
        out.append(
            pd.DataFrame(
                {
                    "split": row.split,
                    "request_id": row.request_id,
                    "member_id": row.member_id,
                    "job_id": np.sort(chosen),
                    "at": row.at,
                    "label": 0,
                }
            )
        )
    if not out:
        return pd.DataFrame(columns=["split", "request_id", "member_id", "job_id", "at", "label"])
    return pd.concat(out, ignore_index=True)
