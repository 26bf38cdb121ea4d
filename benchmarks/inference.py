"""Layer-wise inference throughput: PyG SAGEConv layers on a torch.sparse CSR adjacency vs the
same layers on edge_index, same graph, same weights, same run.

    .venv/bin/python benchmarks/inference.py [--members 8000] [--cap 50] [--repeats 3]

Prints nodes/s (member + job embeddings produced per second, both layers over all relations,
input encoders included) for the three layouts of gnn_encoder.inference: "sparse" (HeteroConv of
SAGEConv on CSR), "edge_index" (the same layers on COO) and "fused" (the same weights and CSR
adjacencies, transforms on the smaller side, in-place sums: what `linksage embed` runs), with the
ratios against edge_index (target >= 2x) and the max abs difference of the outputs. Then where a
full pass goes: the aggregation alone (PyG's spmm mean on CSR vs PyG's gather + scatter mean on
edge_index, every relation of both layers) against the whole pass, which bounds what the layout
alone can buy; and one SAGEConv on the relation with the highest mean in-degree.
Seconds are this process's CPU seconds (one torch thread), best of interleaved rounds: on a
shared machine wall time mostly measures the neighbours' load (`--clock wall` to use it anyway).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from _gnn_data import marketplace_graph  # noqa: E402

from gnn_encoder.inference import embed_graph  # noqa: E402
from tests.support.random_checkpoint import random_encoder  # noqa: E402

clock = time.process_time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=8000)
    ap.add_argument("--cap", type=int, default=50)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument(
        "--threads", type=int, default=1, help="torch threads (use --clock wall if > 1)"
    )
    args = ap.parse_args()
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(args.threads)
    _, maps, g = marketplace_graph(args.members)
    enc = random_encoder(maps, seed=0, hidden_dim=args.hidden, embedding_dim=args.hidden)
    n_out = g.num_nodes["member"] + g.num_nodes["job"]
    edges = sum(r.num_edges for r in g.capped(args.cap).relations.values())
    print(f"graph: {g.num_nodes} capped edges={edges:,}")
    out, speed = {}, {}
    layouts = ("fused", "sparse", "edge_index")
    for layout in layouts * 3:  # interleaved, best of three rounds
        t0 = clock()
        for _ in range(args.repeats):
            out[layout] = embed_graph(enc, g, cap=args.cap, layout=layout)
        rate = n_out * args.repeats / (clock() - t0)
        speed[layout] = max(speed.get(layout, 0.0), rate)
    base = speed["edge_index"]
    print("full pass (both layers, all relations, input encoders included):")
    for layout, label in zip(
        layouts, ("fused CSR (embed)", "PyG layers on CSR", "PyG on edge_index"), strict=True
    ):
        diff = max(np.abs(out[layout][t] - out["edge_index"][t]).max() for t in ("member", "job"))
        print(
            f"  {label:18s} {speed[layout]:>10,.0f} nodes/s  ratio vs edge_index "
            f"{speed[layout] / base:.2f}x  max abs diff {diff:.1e}  ({n_out / speed[layout] * 1e3:.0f} ms/pass)"
        )
    aggregation_share(
        enc, g, args.cap, args.hidden, args.repeats, {k: n_out / v for k, v in speed.items()}
    )
    single_layer(g, args.cap, args.hidden, args.repeats)


def aggregation_share(enc, g, cap: int, hidden: int, repeats: int, pass_s: dict) -> None:
    """Seconds of the aggregation alone over every relation of both layers, per layout."""
    from torch_geometric.utils import scatter, spmm

    from gnn_encoder.graph import ENTITY_TYPES
    from gnn_encoder.inference import adjacency

    capped = g.capped(cap)
    sp, ei = adjacency(capped, "sparse"), adjacency(capped, "edge_index")
    rels = [*capped.relations, *(e for e in capped.relations if e[2] in ENTITY_TYPES)]
    x = {t: torch.randn(n, hidden) for t, n in g.num_nodes.items()}

    def csr() -> None:
        for et in rels:
            spmm(sp[et], x[et[0]], reduce="mean")

    def coo() -> None:
        for et in rels:
            src, dst = ei[et]
            scatter(x[et[0]].index_select(0, src), dst, 0, g.num_nodes[et[2]], reduce="mean")

    best = {}
    for name, fn in (("csr", csr), ("coo", coo)) * 2:
        t0 = clock()
        for _ in range(repeats):
            fn()
        best[name] = min(best.get(name, float("inf")), (clock() - t0) / repeats)
    print(
        f"aggregation alone ({len(rels)} relation passes): CSR spmm {best['csr'] * 1e3:.1f} ms | "
        f"edge_index {best['coo'] * 1e3:.1f} ms | ratio {best['coo'] / best['csr']:.2f}x; it is "
        f"{best['coo'] / pass_s['edge_index']:.0%} of the PyG edge_index pass and "
        f"{best['csr'] / pass_s['sparse']:.0%} of the PyG CSR pass (the rest: dense transforms, "
        "inputs, capping)"
    )


def single_layer(g, cap: int, hidden: int, repeats: int) -> None:
    """One SAGEConv on the relation with the highest mean in-degree (aggregation-heavy)."""
    from torch_geometric.nn import SAGEConv

    from gnn_encoder.inference import adjacency

    capped = g.capped(cap)
    et = max(capped.relations, key=lambda e: capped.relations[e].num_edges / g.num_nodes[e[2]])
    conv = SAGEConv((hidden, hidden), hidden)
    x_src = torch.randn(g.num_nodes[et[0]], hidden)
    x_dst = torch.randn(g.num_nodes[et[2]], hidden)
    sp, ei = adjacency(capped, "sparse")[et], adjacency(capped, "edge_index")[et]
    speed = {}
    with torch.no_grad():
        for name, adj in (("sparse", sp), ("edge_index", ei), ("sparse", sp), ("edge_index", ei)):
            t0 = clock()
            for _ in range(repeats * 10):
                conv((x_src, x_dst), adj)
            rate = x_dst.shape[0] * repeats * 10 / (clock() - t0)
            speed[name] = max(speed.get(name, 0.0), rate)
    print(
        f"one SAGEConv on {et} ({capped.relations[et].num_edges:,} edges): sparse CSR "
        f"{speed['sparse']:,.0f} nodes/s | edge_index {speed['edge_index']:,.0f} nodes/s | "
        f"ratio {speed['sparse'] / speed['edge_index']:.2f}x"
    )


if __name__ == "__main__":
    main()
