"""Seeded random negatives: jobs live at each request's time (linksage.data.live_jobs), drawn
uniformly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linksage.data.live_jobs import LiveJobs


def sample_negatives(
    requests: pd.DataFrame,
    exclude: dict[int, set[int]],
    jobs: pd.DataFrame,
    k: int | np.ndarray,
    seed: int,
) -> pd.DataFrame:
    """For each request (request_id, member_id, at, split) draw up to `k` distinct jobs live at
    its `at`, excluding the request's own jobs; rows get label 0. `k` is one count for every
    request or one per request (aligned with `requests`). Same seed, same draw."""
    live = LiveJobs(jobs)
    rng = np.random.default_rng(seed)
    counts = np.broadcast_to(np.asarray(k, dtype=np.int64), (len(requests),))
    ordered = requests.assign(_k=counts).sort_values(["at", "request_id"], kind="stable")
    chosen_ids, sizes = [], []
    for request_id, at, want in zip(
        ordered["request_id"].to_numpy(), ordered["at"], ordered["_k"].to_numpy(), strict=True
    ):
        pool = live.at(at)
        taken = exclude.get(request_id)
        if taken:
            pool = pool[~np.isin(pool, list(taken))]
        size = min(int(want), len(pool))
        chosen_ids.append(np.sort(rng.choice(pool, size=size, replace=False)) if size else [])
        sizes.append(size)
    columns = ["split", "request_id", "member_id", "job_id", "at", "label"]
    if not sum(sizes):
        return pd.DataFrame(columns=columns)
    # one frame for all requests: a frame per request costs more than the draw itself
    out = ordered.iloc[np.repeat(np.arange(len(ordered)), sizes)].reset_index(drop=True)
    out["job_id"] = np.concatenate(chosen_ids).astype(np.int64)
    out["label"] = 0
    return out[columns]
