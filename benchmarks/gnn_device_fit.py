"""train-gnn's own training loop (`gnn_encoder.fit.fit`) on CPU against CUDA, epoch by epoch:
training seconds, pairs/s and the validation AUC it reaches, at the config's batch size and at
larger CUDA batch sizes (`gnn.cuda_batch_size`; the learning rate is not rescaled, so the AUC
column says whether a larger batch still learns as well).

    .venv/bin/python benchmarks/gnn_device_fit.py [--config paper] [--threads 16]
        [--cpu-epochs 2] [--cuda-epochs 10] [--cuda-batch-sizes 512 8192]

Needs a CUDA device for the CUDA rows (`--accelerator cpu` runs them on the CPU: a dry run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from train_gnn import new_model, training_data  # noqa: E402

from gnn_encoder.fit import fit  # noqa: E402


def one_fit(params, maps, data, device: torch.device, batch_size: int, epochs: int) -> None:
    """Train a fresh model for `epochs` (early stopping as configured) and print each epoch."""
    run_params = params.model_copy(
        update={"epochs": epochs, "batch_size": batch_size, "cuda_batch_size": batch_size}
    )
    model = new_model(run_params, maps)
    t0 = time.perf_counter()
    _, history, speed = fit(model, data, run_params, device=device, name="gnn", progress=False)
    wall = time.perf_counter() - t0
    aucs = " ".join(f"{row['val_auc']:.4f}" for row in history)
    print(
        f"  {device.type:<4} batch {batch_size:>5}: {len(history)} epochs in {wall:6.1f} s "
        f"(training {speed['train_seconds']:6.1f} s, {speed['train_pairs_per_s']:9,.0f} pairs/s); "
        f"best val AUC {max(r['val_auc'] for r in history):.4f}; per epoch: {aucs}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="paper")
    ap.add_argument("--members", type=int, default=None)
    ap.add_argument("--threads", type=int, default=16, help="torch intra-op threads")
    ap.add_argument("--cpu-epochs", type=int, default=2)
    ap.add_argument("--cuda-epochs", type=int, default=10)
    ap.add_argument("--cuda-batch-sizes", nargs="+", type=int, default=[512, 8192])
    ap.add_argument("--accelerator", default="cuda", help="cpu: a dry run of the CUDA rows")
    args = ap.parse_args()
    if args.accelerator == "cuda" and not torch.cuda.is_available():
        sys.exit("needs a CUDA device; none is available")
    torch.set_num_threads(args.threads)
    n, params, maps, data = training_data(args.config, args.members)
    print(
        f"{args.config}: members={n:,} hidden={params.hidden_dim} fanouts="
        f"{tuple(params.fanouts)} lr={params.learning_rate}; torch threads {args.threads}",
        flush=True,
    )
    accel = torch.device(args.accelerator)
    for batch_size in args.cuda_batch_sizes:
        one_fit(params, maps, data, accel, batch_size, args.cuda_epochs)
    one_fit(params, maps, data, torch.device("cpu"), params.batch_size, args.cpu_epochs)


if __name__ == "__main__":
    main()
