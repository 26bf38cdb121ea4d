"""Neighbour sampling throughput: vectorised CSR sampler vs a per-node Python loop, same run.

    .venv/bin/python benchmarks/sampler.py [--members 8000] [--fanout 15] [--seeds 4000]

Both draw up to `fanout` neighbours per seed without replacement for every relation into the
seed's type (member seeds); prints sampled edges/s for each and the ratio (target >= 20x).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support (the reference loop) is not installed
sys.path.insert(0, str(Path(__file__).parent))
from _gnn_data import marketplace_graph  # noqa: E402

from gnn_encoder.graph import relations_into  # noqa: E402
from gnn_encoder.sampler import sample_rows  # noqa: E402
from tests.support.reference_sampler import python_loop_sample  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=8000)
    ap.add_argument("--fanout", type=int, default=15)
    ap.add_argument("--seeds", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    _, _, g = marketplace_graph(args.members)
    rng = np.random.default_rng(0)
    results = {}
    for target in ("member", "job"):
        n = g.num_nodes[target]
        seeds = rng.integers(0, n, size=args.seeds)
        rels = relations_into(target)
        gen = np.random.default_rng(0)
        t0, edges = time.perf_counter(), 0
        for _ in range(args.repeats):
            for e in rels:
                rel = g.relations[e]
                _, nb = sample_rows(rel.indptr, rel.indices, seeds, args.fanout, gen)
                edges += len(nb)
        vec = edges / (time.perf_counter() - t0)
        t0, edges = time.perf_counter(), 0
        for _ in range(max(args.repeats // 5, 1)):
            for e in rels:
                rel = g.relations[e]
                _, nb = python_loop_sample(rel.indptr, rel.indices, seeds, args.fanout, rng)
                edges += len(nb)
        loop = edges / (time.perf_counter() - t0)
        results[target] = (vec, loop)
        print(
            f"{target:>6} seeds={len(seeds)} relations={len(rels)} fanout={args.fanout}: "
            f"vectorised {vec:,.0f} edges/s | python loop {loop:,.0f} edges/s | "
            f"ratio {vec / loop:.1f}x"
        )


if __name__ == "__main__":
    main()
