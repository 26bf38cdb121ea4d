"""Harder negatives for EBR's two towers, and an easy-to-hard curriculum (docs/retrieval.md).

The strategies (`rankers.ebr_negatives.strategies`, linksage/config/ebr.py):

* ``in_batch``: each positive's negatives are the batch's other positives (TFRS's in-batch softmax);
* ``seen``: plus up to `per_positive` jobs its member saw in the same split window and had not
  applied to (impressions without an apply; without an impressions table, view / click / save /
  dismiss engagements), among the jobs live at the positive's time;
* ``mined``: plus `per_positive` jobs live at its time that the member had not applied to, drawn
  with a fixed seed; TFRS's HardNegativeMining (`Retrieval(num_hard_negatives=...)`) then keeps,
  at every step, the `num_hard_negatives` that the current towers score highest: the nearest
  non-applied jobs by the towers being trained;
* ``curriculum``: in-batch only for `warmup_epochs`, then the seen jobs topped up with the mined
  candidates, with HardNegativeMining.

Time rules: only the train split window's impressions and engagements are read, so nothing of the
validation or test window becomes a training negative; "not applied" means no apply before the end
of that window (excluding a job applied to later would let future labels shape training). The
extra candidates' job features are read as of the start of the positive's day, as the evaluation
corpus's are. The loss and the mining are TFRS's: rankers/models/hard_negative_retrieval.py.

Choice (rankers/training/tuning.py): tuning picks the setting with in-batch negatives; each strategy is then
trained at that setting, every arm the same list, and the best validation metric wins
(`compare_negatives`); only the chosen run scores the test window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd

from linksage.config.ebr import EbrNegatives, NegativeStrategy
from linksage.data.live_jobs import LiveJobs, live_at, live_during
from linksage.data.tables import Tables
from rankers.data.frames import corpus_frame
from rankers.data.windows import SplitWindows

STRATEGIES: tuple[str, ...] = get_args(NegativeStrategy)
MINING = ("mined", "curriculum")  # the strategies whose hard phase uses HardNegativeMining
SEEN_ACTIONS = ("view", "click", "save", "dismiss")  # "seen" when there are no impressions
DAY = pd.Timedelta(days=1)  # EBR's corpus bucket (rankers.training.retrieval.BUCKET)


def first_hard_epoch(strategy: str, warmup_epochs: int) -> int | None:
    """The first (0-based) epoch trained against the extra candidates; None: never."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown EBR negatives {strategy!r}; expected one of {STRATEGIES}")
    return {"in_batch": None, "curriculum": warmup_epochs}.get(strategy, 0)


def hard_epochs(strategy: str, epochs: int, warmup_epochs: int) -> list[bool]:
    """Per epoch, whether it trains against the extra candidates (False: in-batch only)."""
    first = first_hard_epoch(strategy, warmup_epochs)
    return [first is not None and e >= first for e in range(epochs)]


def seen_not_applied(tables: Tables, windows: SplitWindows, split: str) -> pd.DataFrame:
    """(member_id, job_id) of every job a member saw inside `split`'s window and had not applied
    to before that window's end."""
    start, end = windows.bounds()[split]
    imp = tables.impressions
    if imp is not None and len(imp):
        seen = imp[["member_id", "job_id", "at"]]
    else:
        eng = tables.engagements
        seen = eng.loc[eng["action"].isin(SEEN_ACTIONS), ["member_id", "job_id", "at"]]
    at = pd.to_datetime(seen["at"], utc=True)
    seen = seen.loc[(at >= start) & (at < end), ["member_id", "job_id"]].drop_duplicates()
    applied = applied_before(tables, end)
    both = seen.merge(applied.assign(_applied=True), on=["member_id", "job_id"], how="left")
    out = both.loc[both["_applied"].isna(), ["member_id", "job_id"]]
    return out.astype("int64").reset_index(drop=True)


def applied_before(tables: Tables, end: pd.Timestamp) -> pd.DataFrame:
    """(member_id, job_id) of every apply before `end`."""
    eng = tables.engagements
    keep = (eng["action"] == "apply") & (pd.to_datetime(eng["at"], utc=True) < end)
    return eng.loc[keep, ["member_id", "job_id"]].drop_duplicates().astype("int64")


def live_keys(jobs: pd.DataFrame, days: list[pd.Timestamp]) -> pd.DataFrame:
    """(job_id, bucket): every job live at some moment of each day (as corpus_frame keys)."""
    posted = pd.to_datetime(jobs["posted_at"], utc=True)
    expires = pd.to_datetime(jobs["expires_at"], utc=True)
    ids = jobs["job_id"].to_numpy(np.int64)
    rows = [(ids[live_during(posted, expires, d, d + DAY).to_numpy()], d) for d in days]
    keys = pd.DataFrame(
        {
            "job_id": np.concatenate([r for r, _ in rows] + [np.zeros(0, np.int64)]),
            "bucket": pd.DatetimeIndex([d for r, d in rows for _ in r], tz="UTC"),
        }
    )
    return keys.astype({"job_id": "int64"})


def extra_candidates(
    train: pd.DataFrame,
    keys: pd.DataFrame,
    seen: pd.DataFrame,
    applied: pd.DataFrame,
    jobs: pd.DataFrame,
    *,
    per_positive: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For each training positive (a row of `train`: member_id, job_id, at), `per_positive` rows
    of `keys` (job_id, bucket) or -1: its member's `seen` jobs, and jobs its member had not
    applied to (`applied`), each live at its `at` in its day's bucket; a fixed-seed draw each."""
    live = LiveJobs(jobs)
    span = dict(zip(live.job_ids, zip(live.posted, live.expires, strict=True), strict=True))
    key_jobs = keys["job_id"].to_numpy(np.int64)
    never = (np.iinfo(np.int64).max, np.iinfo(np.int64).min)
    posted, expires = (np.array([span.get(j, never)[k] for j in key_jobs]) for k in (0, 1))
    rows_of_day = keys.groupby("bucket").indices
    seen_of = seen.groupby("member_id")["job_id"].agg(list).to_dict()
    applied_of = applied.groupby("member_id")["job_id"].agg(list).to_dict()
    rng = np.random.default_rng(seed)
    out_seen = np.full((len(train), per_positive), -1, dtype=np.int64)
    out_live = np.full((len(train), per_positive), -1, dtype=np.int64)
    at = pd.to_datetime(train["at"], utc=True)
    for i, (member, job, t, day) in enumerate(
        zip(train["member_id"], train["job_id"], at, at.dt.floor(DAY), strict=True)
    ):
        rows = rows_of_day.get(day, np.array([], dtype=np.int64))
        rows = rows[live_at(posted[rows], expires[rows], t.value)]
        ids = key_jobs[rows]
        open_rows = rows[(ids != job) & ~np.isin(ids, applied_of.get(member, []))]
        mine = open_rows[np.isin(key_jobs[open_rows], seen_of.get(member, []))]
        mine = rng.permutation(mine)[:per_positive]
        drawn = rng.choice(open_rows, size=min(per_positive, len(open_rows)), replace=False)
        out_seen[i, : len(mine)], out_live[i, : len(drawn)] = mine, drawn
    return out_seen, out_live


def _seen_first(seen: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Per row: the seen candidates, then live ones not already there, `seen.shape[1]` at most."""
    out = np.full_like(seen, -1)
    for i, (s, d) in enumerate(zip(seen, live, strict=True)):
        s = s[s >= 0]
        both = np.concatenate([s, d[(d >= 0) & ~np.isin(d, s)]])[: out.shape[1]]
        out[i, : len(both)] = both
    return out


@dataclass
class NegativePool:
    """The extra candidates of EBR's training positives: `frame` holds their job features (one
    row per (job_id, bucket)); `seen` and `live` index its rows per positive (-1: empty).
    `params` is the config's section, which the training reads (rankers/models/hard_negative_retrieval.py:
    the warm-up, the hard negatives kept, the sampling-bias correction)."""

    frame: pd.DataFrame
    seen: np.ndarray
    live: np.ndarray
    params: EbrNegatives

    def extras(self, strategy: str) -> np.ndarray | None:
        """[positives, per_positive] rows of `frame` the strategy adds (None: in-batch only)."""
        if first_hard_epoch(strategy, self.params.warmup_epochs) is None:
            return None
        if strategy == "curriculum":
            return _seen_first(self.seen, self.live)
        return self.seen if strategy == "seen" else self.live


def negative_pool(
    train: pd.DataFrame,
    tables: Tables,
    windows: SplitWindows,
    params: EbrNegatives,
    *,
    repo_dir: Path | str,
    feature_service: str,
    seed: int = 0,
) -> NegativePool:
    """The extra candidates of the train split's positives, with their job features from the
    feature service (none, and no feature read, when `params` lists in_batch only: the pool then
    carries `params` alone). The seed is fixed, so every arm and seed of EBR draws the same
    candidates."""
    if set(params.strategies) <= {"in_batch"}:
        none = np.full((len(train), 0), -1, dtype=np.int64)
        return NegativePool(pd.DataFrame(), none, none, params)
    days = sorted(pd.to_datetime(train["at"], utc=True).dt.floor(DAY).unique())
    keys = live_keys(tables.jobs, days)
    end = windows.bounds()["train"][1]
    seen_idx, live_idx = extra_candidates(
        train,
        keys,
        seen_not_applied(tables, windows, "train"),
        applied_before(tables, end),
        tables.jobs,
        per_positive=params.per_positive,
        seed=seed,
    )
    used = np.unique(np.concatenate([seen_idx.ravel(), live_idx.ravel(), [-1]]))[1:]
    if not len(used):  # nothing to add: every strategy but in_batch is skipped (tuning.runnable)
        return NegativePool(keys.iloc[:0], seen_idx, live_idx, params)
    frame = corpus_frame(repo_dir, tables.jobs, [], feature_service, extra_jobs=keys.iloc[used])
    # the feature store may return rows in any order: point each key at its row of `frame`
    where = frame[["job_id", "bucket"]].reset_index(names="_row")
    remap = keys.reset_index(names="_key").merge(where, on=["job_id", "bucket"], how="left")
    to_row = np.full(len(keys) + 1, -1, dtype=np.int64)  # index -1 (empty) stays -1
    found = remap["_row"].notna().to_numpy()
    to_row[remap.loc[found, "_key"].to_numpy()] = remap.loc[found, "_row"].to_numpy(np.int64)
    return NegativePool(frame, to_row[seen_idx], to_row[live_idx], params)
