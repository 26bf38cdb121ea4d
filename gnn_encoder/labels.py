"""Supervision for link prediction: (member, job, label, time) pairs from a time window.

Positives are engagements whose action is in `positive_actions` (first occurrence per pair);
negatives are the window's dismissals (of pairs never positive) plus `negatives_per_positive`
jobs drawn uniformly among the jobs live at the positive's time (posted <= t < expires).
Indices are node indices of the graph the pairs are scored on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gnn_encoder.graph import SnapshotGraph
from linksage.data.live_jobs import live_at
from linksage.data.tables import Tables
from linksage.timeutil import ns_array


@dataclass
class LinkLabels:
    member: np.ndarray  # int64 node index
    job: np.ndarray  # int64 node index
    label: np.ndarray  # float32 0/1
    at: np.ndarray  # int64 ns

    def __len__(self) -> int:
        return len(self.label)

    def take(self, idx: np.ndarray) -> LinkLabels:
        return LinkLabels(self.member[idx], self.job[idx], self.label[idx], self.at[idx])

    @property
    def max_time(self) -> pd.Timestamp | None:
        return pd.Timestamp(int(self.at.max()), tz="UTC") if len(self) else None


def job_lifetimes(tables: Tables, graph: SnapshotGraph) -> tuple[np.ndarray, np.ndarray]:
    """posted_at and expires_at (ns) of the graph's job nodes, in node order."""
    jobs = tables.jobs.set_index("job_id").loc[graph.job_ids]
    return ns_array(jobs["posted_at"]), ns_array(jobs["expires_at"])


def sample_live_jobs(
    at: np.ndarray,
    posted: np.ndarray,
    expires: np.ndarray,
    k: int,
    rng: np.random.Generator,
    rounds: int = 8,
) -> np.ndarray:
    """k job indices per time in `at`, uniform among jobs live then (vectorised rejection)."""
    order = np.argsort(posted, kind="stable")
    n_posted = np.searchsorted(posted[order], at, side="right")
    t = np.repeat(at, k)
    n = np.repeat(n_posted, k)
    out = np.full(len(t), -1, np.int64)
    todo = np.flatnonzero(n > 0)
    for _ in range(rounds):
        if not len(todo):
            break
        cand = order[(rng.random(len(todo)) * n[todo]).astype(np.int64)]
        ok = live_at(posted[cand], expires[cand], t[todo])  # posted <= t by the draw
        out[todo[ok]] = cand[ok]
        todo = todo[~ok]
    return out.reshape(len(at), k)


def link_labels(
    tables: Tables,
    graph: SnapshotGraph,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    positive_actions: tuple[str, ...] = ("apply", "save"),
    negatives_per_positive: int = 4,
    seed: int = 0,
) -> LinkLabels:
    """Labelled pairs from engagements with start <= at < end, on `graph`'s node indices."""
    eng = tables.engagements
    at = pd.to_datetime(eng["at"], utc=True)
    eng = eng[(at >= start) & (at < end)]
    mi = graph.index_of("member", eng["member_id"].to_numpy(np.int64))
    ji = graph.index_of("job", eng["job_id"].to_numpy(np.int64))
    frame = pd.DataFrame(
        {
            "m": mi,
            "j": ji,
            "t": ns_array(eng["at"]),
            "pos": eng["action"].isin(positive_actions).to_numpy(),
            "neg": (eng["action"] == "dismiss").to_numpy(),
        }
    )
    frame = frame[(frame["m"] >= 0) & (frame["j"] >= 0)]
    pos = frame[frame["pos"]].sort_values("t").drop_duplicates(["m", "j"])
    pos_keys = set(zip(pos["m"], pos["j"], strict=True))
    dis = frame[frame["neg"]].sort_values("t").drop_duplicates(["m", "j"])
    if len(dis):
        is_pos = np.fromiter(
            ((m, j) in pos_keys for m, j in zip(dis["m"], dis["j"], strict=True)), bool, len(dis)
        )
        dis = dis[~is_pos]
    parts = [
        (pos["m"].to_numpy(), pos["j"].to_numpy(), np.ones(len(pos)), pos["t"].to_numpy()),
        (dis["m"].to_numpy(), dis["j"].to_numpy(), np.zeros(len(dis)), dis["t"].to_numpy()),
    ]
    if negatives_per_positive > 0 and len(pos):
        posted, expires = job_lifetimes(tables, graph)
        rng = np.random.default_rng(seed)
        neg = sample_live_jobs(pos["t"].to_numpy(), posted, expires, negatives_per_positive, rng)
        m_rep = np.repeat(pos["m"].to_numpy(), negatives_per_positive)
        t_rep = np.repeat(pos["t"].to_numpy(), negatives_per_positive)
        neg = neg.flatten()
        ok = (neg >= 0) & (neg != np.repeat(pos["j"].to_numpy(), negatives_per_positive))
        parts.append((m_rep[ok], neg[ok], np.zeros(int(ok.sum())), t_rep[ok]))
    m, j, y, t = (np.concatenate([p[i] for p in parts]) for i in range(4))
    return LinkLabels(
        m.astype(np.int64), j.astype(np.int64), y.astype(np.float32), t.astype(np.int64)
    )
