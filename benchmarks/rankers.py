"""Ranker training throughput and ONNX serving latency at demo scale.

Builds the demo experiment (`configs/demo.yaml`: synthetic marketplace, same windows and ranker
settings) in a temp directory with a real Feast repo (profile features at every snapshot, random
GNN embeddings of the documented schema: speed does not depend on their values, and this keeps the
benchmark free of the GNN stage), then prints:

- per task (gnn arm, the larger input set): training examples/s (`fit` only) and the wall time of
  the whole `train_ranker` (examples, Feast join, fit, scoring, SavedModel, ONNX export + parity);
- `rankers.serving.RankerService.score` for 1 member + 500 candidates, p50/p99, including the
  Feast online read (SQLite), for jymbii;
- on the same 500-row batch in the same run: the ONNX model alone against TF `model.predict` and
  against calling the Keras model directly (the ratio is what serving with ONNX buys).

    .venv/bin/python benchmarks/rankers.py [--members 8000] [--tasks jymbii,search,taj,ebr]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from linksage.config import load_config  # noqa: E402


def build_experiment(root: Path, members: int):
    """The demo config moved under `root`, with data, profile features and embeddings in Feast."""
    from linksage.data.datasource import ensure_data
    from linksage.data.tables import read_tables
    from tests.support.random_repo import random_feast_repo

    cfg = load_config(
        ROOT / "configs" / "demo.yaml",
        {
            "output_dir": str(root / "run"),
            "feast.repo_dir": str(root / "feature_repo"),
            "data.synthetic.members": members,
        },
    )
    tables = read_tables(ensure_data(cfg.data, cfg.data_dir), validate=False)
    random_feast_repo(
        cfg.feast.repo_dir,
        tables,
        cfg.snapshot_times(),
        dim=cfg.gnn.embedding_dim,
        top_k=cfg.gnn.top_skills,
        ttl_days=cfg.feast.ttl_days,
        model_version="random-bench",
    )
    return cfg, tables


def percentiles(samples: list[float]) -> str:
    ms = np.asarray(samples) * 1e3
    return f"p50 {np.percentile(ms, 50):7.2f} ms   p99 {np.percentile(ms, 99):7.2f} ms"


def bench_serving(cfg, tables, run_dir: Path, repeats: int) -> None:
    import tensorflow as tf

    from rankers.export import onnx_predict
    from rankers.features.inputs import BagEmbedding
    from rankers.serving import RankerService

    service = RankerService(run_dir, cfg.feast.repo_dir)
    rng = np.random.default_rng(1)
    job_ids = tables.jobs["job_id"].to_numpy()
    members = tables.members["member_id"].to_numpy()
    # 500 candidates; drawn with replacement when the corpus has fewer jobs (each still read).
    candidates = rng.choice(job_ids, 500, replace=len(job_ids) < 500).tolist()
    service.score(int(members[0]), candidates)  # warm up
    total, read = [], []
    for i in range(repeats):
        member = int(members[i % len(members)])
        t0 = time.perf_counter()
        frame = service.features(member, candidates)
        t1 = time.perf_counter()
        service.score_frame(frame)
        total.append(time.perf_counter() - t0)
        read.append(t1 - t0)
    print(f"score(1 member + 500 jobs), Feast online read included: {percentiles(total)}")
    print(f"  of which the Feast online read (SQLite):                {percentiles(read)}")

    arrays = service.plan.arrays(service.features(int(members[0]), candidates))
    keras = tf.keras.models.load_model(
        str(run_dir / "saved_model"), custom_objects={"BagEmbedding": BagEmbedding}
    )
    onnx_t, predict_t, call_t = [], [], []
    tensors = {k: tf.constant(v) for k, v in arrays.items()}
    onnx_predict(service.model, arrays)
    keras.predict(arrays, verbose=0, batch_size=500)
    keras(tensors, training=False)
    for _ in range(repeats):
        t0 = time.perf_counter()
        a = onnx_predict(service.model, arrays)
        t1 = time.perf_counter()
        b = keras.predict(arrays, verbose=0, batch_size=500)
        t2 = time.perf_counter()
        keras(tensors, training=False)
        t3 = time.perf_counter()
        onnx_t.append(t1 - t0)
        predict_t.append(t2 - t1)
        call_t.append(t3 - t2)
    diff = float(np.max(np.abs(a - b)))
    print(f"model only, 500 rows: ONNX Runtime        {percentiles(onnx_t)}")
    print(f"                      TF model.predict    {percentiles(predict_t)}")
    print(f"                      TF model(x) direct  {percentiles(call_t)}")
    print(
        f"  ratio (p50): model.predict / ONNX = {np.median(predict_t) / np.median(onnx_t):.1f}x,"
        f"  model(x) / ONNX = {np.median(call_t) / np.median(onnx_t):.1f}x;"
        f"  max |ONNX - TF| = {diff:.2e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=8000)
    parser.add_argument("--tasks", default="jymbii,search,taj,ebr")
    parser.add_argument("--arm", default="gnn")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    from linksage.cli.rankers import train_ranker_from_config

    with tempfile.TemporaryDirectory(prefix="bench-rankers-") as tmp:
        t0 = time.perf_counter()
        cfg, tables = build_experiment(Path(tmp), args.members)
        print(
            f"experiment: {args.members} members, {len(tables.jobs)} jobs, Feast repo ready in "
            f"{time.perf_counter() - t0:.0f}s"
        )
        runs = {}
        for task in args.tasks.split(","):
            t0 = time.perf_counter()
            run = train_ranker_from_config(cfg, task, args.arm, 0, tables=tables, progress=False)
            wall = time.perf_counter() - t0
            m = json.loads((run / "validation_metrics.json").read_text())
            runs[task] = run
            quality = {k: m[k] for k in ("auc", "recall@10") if m.get(k) is not None}
            print(
                f"{task:>6}/{args.arm}: {m['examples']['train']:>7} train examples x "
                f"{m['epochs_run']} epochs: {m['train_examples_per_s']:>8.0f} examples/s (fit), "
                f"train_ranker wall {wall:5.1f}s; validation {quality}"
            )
        if "jymbii" in runs:
            bench_serving(cfg, tables, runs["jymbii"], args.repeats)


if __name__ == "__main__":
    main()
