"""How long the offline A/B comparison takes at demo scale, against a naive per-request loop.

Builds predictions the size of `configs/demo.yaml`'s test window (default 20,000 ranking requests
of 10 candidates for JYMBII and Search, 5,000 TAJ applications, 5,000 EBR requests holding 100
retrieved jobs), one seed per arm and 1,000 bootstrap resamples, with the standard segments, and
times `evaluation.compare.compare`. The baseline computes only per-request NDCG@10 and AUC of one
arm with scikit-learn in a Python loop (what one would write without vectorising), on a sample of
requests, scaled up to all of them.

    .venv/bin/python benchmarks/evaluation_compare.py [--requests 20000] [--bootstrap 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.metrics import ndcg_score, roc_auc_score

from evaluation.compare import compare
from evaluation.runs import Arm
from evaluation.segments import build_segments
from evaluation.task_metrics import MetricSettings
from linksage.data.tables import Tables

T_GNN_END = pd.Timestamp("2026-02-26", tz="UTC")
T_TEST = (pd.Timestamp("2026-03-12", tz="UTC"), pd.Timestamp("2026-03-26", tz="UTC"))


def _tables(rng, n_members=8000, n_jobs=1500) -> Tables:
    titles = np.array([f"t{i}" for i in range(40)])
    members = pd.DataFrame(
        {
            "member_id": np.arange(n_members),
            "title": rng.choice(titles, n_members),
            "is_premium": rng.random(n_members) < 0.2,
            "seeker_intent": rng.choice(
                ["passive", "opportunistic", "open_to_job", "urgent"], n_members
            ),
        }
    )
    posted = T_GNN_END + pd.to_timedelta(rng.integers(-40, 20, n_jobs), unit="D")
    jobs = pd.DataFrame(
        {
            "job_id": np.arange(n_jobs),
            "title": rng.choice(titles, n_jobs),
            "posted_at": posted,
            "expires_at": posted + pd.to_timedelta(rng.integers(20, 60, n_jobs), unit="D"),
        }
    )
    n_eng = 60_000
    engagements = pd.DataFrame(
        {
            "member_id": rng.integers(0, n_members, n_eng),
            "job_id": rng.integers(0, n_jobs, n_eng),
            "action": rng.choice(["click", "apply", "dismiss"], n_eng),
            "at": T_GNN_END + pd.to_timedelta(rng.integers(-50, 28, n_eng), unit="D"),
        }
    )
    return Tables(members=members, jobs=jobs, engagements=engagements)


def _ranking(rng, n_requests, size, strength, task):
    rid = np.repeat(np.arange(n_requests), size)
    label = (rng.random(len(rid)) < 0.15).astype("int8")
    df = pd.DataFrame(
        {
            "request_id": rid,
            "member_id": np.repeat(rng.integers(0, 8000, n_requests), size),
            "job_id": rng.integers(0, 1500, len(rid)),
            "at": T_TEST[0],
            "label": label,
        }
    )
    if task == "ebr":
        df["rank"] = (1 + rng.exponential(np.where(label == 1, 80 / strength, 300))).astype("int64")
    df["score"] = (strength * label + rng.normal(0, 1, len(rid))).astype("float32")
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    tables = _tables(rng)
    shapes = {
        "jymbii": (args.requests, 10),
        "search": (args.requests, 10),
        "taj": (5000, 1),
        "ebr": (5000, 101),
    }
    arms = {name: Arm(name) for name in ("control", "gnn")}
    for task, (n, size) in shapes.items():
        for name, strength in (("control", 0.5), ("gnn", 0.6)):
            arms[name].predictions[task] = {0: _ranking(rng, n, size, strength, task)}
    segments = build_segments(tables, t_gnn_end=T_GNN_END)
    settings = MetricSettings(tables=tables, test_start=T_TEST[0], test_end=T_TEST[1])
    rows = sum(len(f[0]) for f in arms["control"].predictions.values())

    t0 = time.perf_counter()
    report = compare(
        arms["control"],
        arms["gnn"],
        segments=segments,
        settings=settings,
        bootstrap_samples=args.bootstrap,
        progress=False,
    )
    ours = time.perf_counter() - t0

    jymbii = arms["control"].predictions["jymbii"][0]
    sample = jymbii[jymbii["request_id"] < 500]
    t0 = time.perf_counter()
    for _, g in sample.groupby("request_id"):
        y, s = g["label"].to_numpy(), g["score"].to_numpy()
        if 0 < y.sum() < len(y):
            roc_auc_score(y, s)
            ndcg_score([y], [s], k=10)
    naive = (time.perf_counter() - t0) * args.requests / 500

    print(
        f"rows per arm: {rows:,}; segments: {len(segments)}; bootstrap resamples: {args.bootstrap}"
    )
    print(f"compare (4 tasks, every metric, segments, CIs, p-values): {ours:.1f} s")
    print(
        f"baseline: sklearn loop, NDCG@10 + AUC of one arm of jymbii only: {naive:.1f} s (extrapolated from 500 requests)"
    )
    print(f"ratio baseline / ours: {naive / ours:.1f}x (ours does far more work)")
    m = report.tasks["jymbii"].metrics["ndcg@10"]
    print(
        f"sanity: jymbii ndcg@10 lift {m.lift_pct:+.2f}% CI [{m.ci95_low:+.2f}, {m.ci95_high:+.2f}] p={m.p_value:.2g}"
    )


if __name__ == "__main__":
    main()
