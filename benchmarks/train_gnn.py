"""Training throughput: labelled pairs per second through sampling + forward + backward.

    .venv/bin/python benchmarks/train_gnn.py [--members 8000] [--epochs 1] [--threads 1]

Runs gnn_encoder.train.train_gnn (no baselines, no evaluation) on the synthetic marketplace and
prints pairs/s from its metrics.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd
import torch

from gnn_encoder.train import train_gnn
from linksage.config import GnnParams


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=8000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--aggregation", default="mean")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from linksage.synthetic.marketplace import generate_marketplace

    start = pd.Timestamp("2026-01-01", tz="UTC")
    tables = generate_marketplace(members=args.members, seed=7, start=start, days=84)
    with tempfile.TemporaryDirectory() as out:
        params = GnnParams(
            epochs=args.epochs,
            patience=args.epochs,
            baselines=False,
            batch_size=args.batch_size,
            aggregation=args.aggregation,
        )
        m = train_gnn(
            tables,
            Path(out),
            t_gnn_end=start + pd.Timedelta(days=56),
            params=params,
            device="cpu",
            progress=False,
        )
    print(
        f"members={args.members} aggregation={args.aggregation} threads={args.threads}: "
        f"{m['train_pairs']:,} pairs in {m['train_seconds']:.1f} s = "
        f"{m['train_pairs_per_s']:,.0f} pairs/s",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
