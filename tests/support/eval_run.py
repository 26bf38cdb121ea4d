"""A constructed run directory: every artifact the evaluation reads, written by hand.

No model is trained: predictions are built from the tiny marketplace's members and jobs with a
known gap between the arms (the gnn arm separates positives better), so the tests know what the
comparison must find. `leaky=True` writes the artifacts a full-graph embedding run leaves behind.
`clean_run` is a function-scoped fixture: import it into the conftest of a directory that uses it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linksage.config import ExperimentConfig
from linksage.io import write_parquet
from linksage.tasks import TASKS

TEST_REQUESTS = 120


def _ts(x) -> pd.Timestamp:
    return pd.Timestamp(x).tz_convert("UTC")


def _requests(rng, members, jobs, task, n, start, end, first_id):
    span = (end - start).total_seconds()
    rows = []
    for r in range(n):
        rid, member = first_id + r, int(rng.choice(members))
        at = start + pd.Timedelta(seconds=float(rng.uniform(0, span)))
        size = 1 if task == "taj" else 8
        for job in rng.choice(jobs, size=size, replace=False):
            rows.append((rid, member, int(job), at, int(rng.random() < 0.3)))
    df = pd.DataFrame(rows, columns=["request_id", "member_id", "job_id", "at", "label"])
    if task != "taj":  # at least one positive per request
        first = df.groupby("request_id").head(1).index
        df.loc[first, "label"] = 1
    df["label"] = df["label"].astype("int8")
    return df


def _scores(rng, labels, strength):
    return (strength * labels + rng.normal(0, 1, len(labels))).astype("float32")


def write_run(
    config: ExperimentConfig,
    tables,
    *,
    gnn_strength: float = 1.5,
    leaky: bool = False,
    seed: int = 0,
    arm_strengths: dict[str, float] | None = None,
) -> Path:
    """Write a complete run under config.output_dir and return it. `arm_strengths`: further
    arms (mf, oracle) and how well each separates positives (control 0.5; gnn 0.5 +
    gnn_strength)."""
    rng = np.random.default_rng(seed)
    out, w = config.output_dir, config.windows
    members, jobs = tables.members["member_id"].to_numpy(), tables.jobs["job_id"].to_numpy()
    bounds = {
        "train": (_ts(w.t_train_start), _ts(w.t_validation_start)),
        "validation": (_ts(w.t_validation_start), _ts(w.t_train_end)),
        "test": (_ts(w.t_test_start), _ts(w.t_test_end)),
    }
    strength = {"control": 0.5, "gnn": 0.5 + gnn_strength * (2 if leaky else 1)}
    strength |= arm_strengths or {}
    tasks = TASKS if config.rankers.tasks == "auto" else config.rankers.tasks
    for t_index, task in enumerate(tasks):
        splits = []
        for s_index, (split, (lo, hi)) in enumerate(bounds.items()):
            first = (t_index * 10 + s_index) * 100_000
            n = TEST_REQUESTS if split == "test" else 60
            splits.append(_requests(rng, members, jobs, task, n, lo, hi, first).assign(split=split))
        examples = pd.concat(splits, ignore_index=True)
        test = examples[examples["split"] == "test"].drop(columns="split").reset_index(drop=True)
        for arm in strength:
            for s in config.evaluation.seeds:
                d = out / "rankers" / task / arm / f"seed{s}"
                pred = test.copy()
                pred["score"] = _scores(rng, pred["label"].to_numpy(), strength[arm])
                if task == "search":
                    pred["click"] = pred["label"].astype("int8")
                if task == "ebr":
                    scale = np.where(pred["label"] == 1, 80 / strength[arm], 300)
                    pred["rank"] = (1 + rng.exponential(scale)).astype("int64")
                write_parquet(pred, d / "predictions.parquet")
                ex = examples.copy()
                ex["member_profile__feature_ts"] = ex["at"] - pd.Timedelta(hours=1)
                if arm == "gnn":
                    ex["member_gnn__feature_ts"] = ex["at"].dt.floor("D")
                write_parquet(ex, d / "examples.parquet")
    _write_gnn(config, leaky)
    config.save(out / "config.yaml")
    return out


def _write_gnn(config: ExperimentConfig, leaky: bool) -> None:
    out, w = config.output_dir, config.windows
    gnn = out / "gnn"
    gnn.mkdir(parents=True, exist_ok=True)
    last = _ts(w.t_gnn_end) - pd.Timedelta(minutes=5)
    (gnn / "metrics.json").write_text(json.dumps({"training_data_max_time": last.isoformat()}))
    times = [_ts(t) for t in config.snapshot_times()]
    full_graph_max = _ts(w.t_test_end) - pd.Timedelta(minutes=1)
    snaps = [
        {
            "time": t.isoformat(),
            "max_edge_time": (full_graph_max if leaky else t - pd.Timedelta(minutes=3)).isoformat(),
            "n_members": 3,
            "n_jobs": 2,
        }
        for t in times
    ]
    manifest = {
        "model_version": "abc123",
        "embedding_dim": 2,
        "leaky_full_graph": leaky,
        "snapshots": snaps,
    }
    (gnn / "embeddings_manifest.json").write_text(json.dumps(manifest))
    for entity, n in (("member", 3), ("job", 2)):
        rows = [
            {
                f"{entity}_id": i,
                # honest snapshots move as edges arrive; a full-graph run repeats one vector
                "embedding": [0.1, 0.2] if leaky else [0.1 * d, 0.2 + i],
                "event_timestamp": t,
                "model_version": "abc123",
            }
            for d, t in enumerate(times)
            for i in range(n)
        ]
        write_parquet(
            pd.DataFrame(rows), config.feast.repo_dir / "data" / f"{entity}_embeddings.parquet"
        )


@pytest.fixture
def clean_run(tiny_config, tiny_tables) -> Path:
    """A run whose gnn arm is clearly better and whose artifacts pass the audit."""
    return write_run(tiny_config, tiny_tables)
