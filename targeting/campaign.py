"""Promoted-job campaigns over the test window: which days each job runs, who is active on a day,
and the simulated delivery (seeded).

A campaign day k is [test_start + k days, + 1 day); a promoted job runs on the days whose start
finds it live (posted_at <= start < expires_at), so its audience can be chosen from what was
known when it started. Each day, the members of its audience who are active that day (any
impression or engagement in the tables) see it once in the sponsored slot and apply with the
probability the caller gives (on the synthetic marketplace: the generator's own); each apply
costs `cost_per_apply` and the job stops showing for the day once the next apply would overrun
its daily budget. The uniform draws are keyed by (seed, job, day, member), so two audiences
holding the same member on the same day make the same decision for it (common random numbers:
the methods differ by whom they choose, not by luck).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)
SPONSORED_RANK = 1  # where a promoted job is shown: the slot on top of the list
ApplyProbability = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (member_ids, job_ids) -> p
Qualified = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (member_ids, job_ids) -> bool


def n_days(test_start: pd.Timestamp, test_end: pd.Timestamp) -> int:
    """Campaign days in the test window (a last partial day counts)."""
    return int(np.ceil((test_end - test_start) / DAY))


def campaigns(jobs: pd.DataFrame, test_start: pd.Timestamp, test_end: pd.Timestamp) -> pd.DataFrame:
    """The promoted jobs that run on at least one day: job_id, first_day, last_day (exclusive),
    start (first day's start) and end (when it stops: expiry or the window's end)."""
    promo = jobs[jobs["is_promoted"]] if "is_promoted" in jobs else jobs.iloc[:0]
    first = np.ceil((promo["posted_at"] - test_start) / DAY).clip(lower=0)
    last = np.ceil((promo["expires_at"] - test_start) / DAY).clip(
        upper=n_days(test_start, test_end)
    )
    out = pd.DataFrame(
        {
            "job_id": promo["job_id"].to_numpy(dtype=np.int64),
            "first_day": first.to_numpy(dtype=np.int64),
            "last_day": last.to_numpy(dtype=np.int64),
            "expires_at": promo["expires_at"].to_numpy(),
        }
    )
    out = out[out["first_day"] < out["last_day"]].reset_index(drop=True)
    out["start"] = test_start + out["first_day"] * DAY
    out["end"] = pd.to_datetime(out.pop("expires_at"), utc=True).clip(upper=test_end)
    return out.sort_values("job_id", ignore_index=True)


def active_by_day(
    events: list[pd.DataFrame], pool_ids: np.ndarray, test_start: pd.Timestamp, days: int
) -> dict[int, np.ndarray]:
    """Day -> sorted ids of the pool members with any of `events` (member_id, at) that day."""
    frames = [e[["member_id", "at"]] for e in events if e is not None]
    ev = pd.concat(frames, ignore_index=True)
    ev = ev[(ev["at"] >= test_start) & (ev["at"] < test_start + days * DAY)]
    ev = ev[ev["member_id"].isin(pool_ids)]
    day = ((ev["at"] - test_start) // DAY).to_numpy(dtype=np.int64)
    pairs = pd.DataFrame({"day": day, "member_id": ev["member_id"].to_numpy()}).drop_duplicates()
    by = pairs.groupby("day")["member_id"]
    return {int(d): np.sort(m.to_numpy()) for d, m in by}


_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective scramble of 64-bit integers."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _MIX[0]
        x = (x ^ (x >> np.uint64(27))) * _MIX[1]
        return x ^ (x >> np.uint64(31))


def uniforms(seed: int, job_id: int, day: int, stream: int, members: np.ndarray) -> np.ndarray:
    """One uniform in [0, 1) per member, fixed by (seed, job, day, stream, member)."""
    key = np.random.SeedSequence([seed, job_id, day, stream]).generate_state(1, np.uint64)
    x = _mix(key ^ _mix(np.asarray(members, dtype=np.uint64)))
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


@dataclass(frozen=True)
class Budget:
    """A campaign's money: the daily budget of every promoted job and the price of an apply."""

    daily: float
    cost_per_apply: float

    @property
    def applies_per_day(self) -> int:
        return int(np.floor(self.daily / self.cost_per_apply + 1e-9))


def simulate(
    audiences: dict[int, np.ndarray],
    camps: pd.DataFrame,
    active: dict[int, np.ndarray],
    apply_probability: ApplyProbability,
    qualified: Qualified,
    budget: Budget,
    seed: int,
) -> pd.DataFrame:
    """One row per (job, day) of the campaigns: exposed members, paid applies, spent, qualified
    paid applies and the day's budget."""
    rows = []
    for c in camps.itertuples(index=False):
        audience = audiences.get(int(c.job_id), np.array([], dtype=np.int64))
        for day in range(c.first_day, c.last_day):
            seen = np.intersect1d(audience, active.get(day, np.array([], dtype=np.int64)))
            job = np.full(len(seen), c.job_id, dtype=np.int64)
            p = apply_probability(seen, job) if len(seen) else np.zeros(0)
            applied = seen[uniforms(seed, c.job_id, day, 0, seen) < p]
            # who comes first that day: the budget buys the first applies only
            order = np.argsort(uniforms(seed, c.job_id, day, 1, applied), kind="stable")
            paid = applied[order][: budget.applies_per_day]
            n_q = int(qualified(paid, job[: len(paid)]).sum()) if len(paid) else 0
            rows.append((c.job_id, day, len(seen), len(paid), n_q))
    out = pd.DataFrame(rows, columns=["job_id", "day", "exposed", "applies", "qualified"])
    out["spent"] = out["applies"] * budget.cost_per_apply
    out["budget"] = budget.daily
    return out


def summarise(days: pd.DataFrame) -> dict[str, float | None]:
    """Budget utilisation (spent / budget), paid applies per unit of budget, the share of them
    that are qualified, and the counts behind them (paid applies, exposures), over every
    (job, day)."""
    budget, applies = float(days["budget"].sum()), int(days["applies"].sum())
    return {
        "budget_utilisation": float(days["spent"].sum()) / budget if budget else None,
        "applies_per_budget": applies / budget if budget else None,
        "qualified_apply_share": float(days["qualified"].sum()) / applies if applies else None,
        "applies": applies,
        "exposures": int(days["exposed"].sum()),
    }
