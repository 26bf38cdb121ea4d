"""Training throughput: labelled pairs (examples) per second through sampling, forward, backward
and the optimiser step, at the demo and the paper configs, against the path before issue 14.

    .venv/bin/python benchmarks/train_gnn.py [--configs demo paper] [--batches 12] [--rounds 3]
        [--members N] [--phases]
    .venv/bin/python benchmarks/train_gnn.py --devices --threads 16 [--batch-sizes 512 2048]

For each config (configs/<name>.yaml: members, hidden_dim, fanouts, batch_size, ...) it builds
the synthetic marketplace and train-gnn's training data, then runs the same fixed batches
through: the legacy step (benchmarks/_legacy_train_gnn.py: the sampler of commit 9c4c9ba, read
from git, a single generator in the training process, every layer over every sampled node, torch
dropout, unfused AdamW) and the current one (gnn_encoder.fit.train_epoch over the DataLoader of gnn_encoder.batches: trimmed
layers, compacted CSR mean aggregation, numpy dropout masks, fused AdamW, embedding gradients
added in place) with 0 and 1 loader workers. Rounds are interleaved and
the best round of each is kept (the machine is shared); the ratio is current (the config's
`loader_workers`) over legacy. Printed per run: pairs per wall-clock second (what train-gnn
sees; a worker only helps when a core is free) and pairs per CPU second of this process and its
workers (the work itself, less sensitive to the neighbours' load). `--phases` also prints where
a step's time goes.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from _legacy_train_gnn import LegacyEncoder, legacy_train_steps  # noqa: E402

from gnn_encoder.batches import LinkBatches, batch_loader  # noqa: E402
from gnn_encoder.decoders import make_decoder  # noqa: E402
from gnn_encoder.fit import (  # noqa: E402
    LinkModel,
    epoch_batches,
    epoch_keys,
    in_place_gradients,
    make_optimizer,
    train_epoch,
)
from gnn_encoder.id_maps import build_id_maps  # noqa: E402
from gnn_encoder.model import LinkSageEncoder  # noqa: E402
from gnn_encoder.train import build_training_data, encoder_kwargs  # noqa: E402
from linksage.config import load_config  # noqa: E402

CPU = torch.device("cpu")


def training_data(config: str, members: int | None):
    """(params, id maps, TrainingData) of configs/<config>.yaml, as train-gnn builds them."""
    from linksage.synthetic.marketplace import generate_marketplace

    cfg = load_config(ROOT / "configs" / f"{config}.yaml")
    syn, params = cfg.data.synthetic, cfg.gnn.params()
    n = members or syn.members
    tables = generate_marketplace(
        members=n, seed=syn.seed, start=pd.Timestamp(syn.start), days=syn.days, preset=syn.preset
    )
    t_end = pd.Timestamp(cfg.windows.t_gnn_end)
    t_val = t_end - pd.Timedelta(days=params.validation_days)
    maps = build_id_maps(tables, before=t_end)
    return (
        n,
        params,
        maps,
        build_training_data(tables, maps, t_val=t_val, t_end=t_end, params=params),
    )


def new_model(params, maps, encoder=LinkSageEncoder) -> LinkModel:
    torch.manual_seed(params.seed)
    return LinkModel(
        encoder(**encoder_kwargs(maps, params)),
        make_decoder(params.decoder, params.embedding_dim),
    )


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the loader's workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run) -> tuple[float, float]:
    """(pairs per wall second, pairs per CPU second) of `run()` -> pairs."""
    w0, c0 = time.perf_counter(), cpu_seconds()
    pairs = run()
    return pairs / (time.perf_counter() - w0), pairs / (cpu_seconds() - c0)


def run_legacy(params, maps, data, batches, phases: dict | None = None) -> tuple[float, float]:
    """The legacy step over `batches` (timed: the loop; not building the model)."""
    graph, labels = data.train_sets[0]
    model = new_model(params, maps, LegacyEncoder)
    return timed(
        lambda: legacy_train_steps(
            model,
            graph,
            labels,
            [idx for _, idx in batches],
            fanouts=tuple(params.fanouts),
            cap=params.neighbour_cap,
            learning_rate=params.learning_rate,
            weight_decay=params.weight_decay,
            phases=phases,
        )[0]
    )


def run_current(
    params, maps, dataset, keys, workers: int, device: torch.device = CPU
) -> tuple[float, float]:
    """fit's step over `keys` (timed: the DataLoader, its workers' start, the loop; not
    building the model or the dataset, which fit does once). On CUDA the clock stops after the
    device has finished the last step."""
    model = new_model(params, maps).to(device)
    opt = make_optimizer(model, params, device)

    def loop() -> int:
        with in_place_gradients(model, sparse_embeddings=True):  # as fit, in one process
            loader = batch_loader(dataset, keys, workers=workers, device=device)
            pairs = train_epoch(model, opt, loader, device=device, desc="", progress=False)[1]
        if device.type == "cuda":
            torch.cuda.synchronize()
        return pairs

    return timed(loop)


def bench_devices(config: str, args) -> None:
    """Current path, CPU against CUDA, at the config's batch size and at larger ones (CUDA
    wants bigger batches than a CPU core), with 0 and more loader workers."""
    n, params, maps, data = training_data(config, args.members)
    cuda = torch.device(args.accelerator)
    name = torch.cuda.get_device_name(0) if cuda.type == "cuda" else cuda.type
    print(
        f"{config}: members={n:,} hidden={params.hidden_dim} fanouts={tuple(params.fanouts)}; "
        f"torch threads {torch.get_num_threads()}, {name}",
        flush=True,
    )
    dataset = LinkBatches(data.train_sets, tuple(params.fanouts), params.neighbour_cap)
    results: dict[tuple[str, int, int], float] = {}
    for batch_size in args.batch_sizes:
        all_batches, order = epoch_batches(data.train_sets, batch_size, np.random.default_rng(0))
        n_batches = max(args.batches * params.batch_size // batch_size, 4)
        batches = [all_batches[b] for b in order[:n_batches]]
        keys = epoch_keys(batches, list(range(len(batches))), seed=params.seed, rank=0, epoch=0)
        run_current(params, maps, dataset, keys[:2], 0, cuda)  # CUDA context and kernels warm
        for device in (CPU, cuda):
            for workers in args.workers:
                if device is CPU and batch_size != params.batch_size:
                    continue  # the CPU runs at the config's batch size
                best = max(
                    run_current(params, maps, dataset, keys, workers, device)[0]
                    for _ in range(args.rounds)
                )
                results[(str(device is CPU), batch_size, workers)] = best
                print(
                    f"  {'cpu' if device is CPU else cuda.type:<4} batch {batch_size:>5} loader_workers={workers}: "
                    f"{best:9,.0f} pairs/s",
                    flush=True,
                )
    best_cpu = max(v for (on_cpu, _, _), v in results.items() if on_cpu == "True")
    (_, b, w), best_gpu = max(
        ((k, v) for k, v in results.items() if k[0] == "False"), key=lambda kv: kv[1]
    )
    print(
        f"  best CUDA (batch {b}, loader_workers={w}) / best CPU: {best_gpu / best_cpu:.1f}x",
        flush=True,
    )


def current_phases(params, maps, dataset, keys) -> dict[str, float]:
    """Seconds per phase of the current step, in process (prepare = sample + gather)."""
    model = new_model(params, maps)
    opt = make_optimizer(model, params, CPU)
    out = dict.fromkeys(("prepare", "forward", "backward", "optimiser"), 0.0)
    with in_place_gradients(model, sparse_embeddings=True):
        for key in keys:
            t0 = time.perf_counter()
            batch = dataset[key]
            t1 = time.perf_counter()
            loss = model(batch)
            t2 = time.perf_counter()
            opt.zero_grad(set_to_none=False)
            loss.backward()
            t3 = time.perf_counter()
            opt.step()
            t4 = time.perf_counter()
            for k, dt in zip(out, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                out[k] += dt
    return out


def bench(config: str, args) -> None:
    n, params, maps, data = training_data(config, args.members)
    all_batches, order = epoch_batches(data.train_sets, params.batch_size, np.random.default_rng(0))
    batches = [all_batches[b] for b in order[: args.batches]]
    print(
        f"{config}: members={n:,} hidden={params.hidden_dim} fanouts={tuple(params.fanouts)} "
        f"batch={params.batch_size}; {len(batches)} batches, best of {args.rounds} rounds "
        f"(train-gnn runs {len(all_batches)} a epoch)",
        flush=True,
    )
    dataset = LinkBatches(data.train_sets, tuple(params.fanouts), params.neighbour_cap)
    keys = epoch_keys(batches, list(range(len(batches))), seed=params.seed, rank=0, epoch=0)
    runs = {
        "legacy (before issue 14)": lambda: run_legacy(params, maps, data, batches),
        "current, loader_workers=0": lambda: run_current(params, maps, dataset, keys, 0),
        "current, loader_workers=1": lambda: run_current(params, maps, dataset, keys, 1),
    }
    wall, cpu = dict.fromkeys(runs, 0.0), dict.fromkeys(runs, 0.0)
    for _ in range(args.rounds):
        for name, run in runs.items():
            w, c = run()
            wall[name], cpu[name] = max(wall[name], w), max(cpu[name], c)
    for name in runs:
        print(
            f"  {name:<27} {wall[name]:8,.0f} pairs/s = {wall[name] / params.batch_size:5.2f} "
            f"batches/s wall | {cpu[name]:8,.0f} pairs per CPU second"
        )
    current = f"current, loader_workers={min(params.loader_workers, 1)}"
    legacy = "legacy (before issue 14)"
    print(
        f"  ratio current (loader_workers={params.loader_workers}) / legacy: "
        f"{wall[current] / wall[legacy]:.1f}x wall, {cpu[current] / cpu[legacy]:.1f}x CPU",
        flush=True,
    )
    if args.phases:
        legacy_split: dict[str, float] = {}
        run_legacy(params, maps, data, batches, legacy_split)
        for name, split in (
            ("legacy", legacy_split),
            ("current", current_phases(params, maps, dataset, keys)),
        ):
            total = sum(split.values())
            shares = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in split.items())
            print(f"  {name} step, in process, {1000 * total / len(batches):.0f} ms: {shares}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", nargs="+", default=["demo", "paper"])
    ap.add_argument("--batches", type=int, default=12, help="batches per run (not epochs)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; best is kept")
    ap.add_argument("--members", type=int, default=None, help="override the config's members")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    ap.add_argument("--phases", action="store_true", help="print where each step's time goes")
    ap.add_argument(
        "--devices", action="store_true", help="current path on CPU against CUDA (needs a GPU)"
    )
    ap.add_argument(
        "--accelerator", default="cuda", help="device compared with the CPU (cpu: a dry run)"
    )
    ap.add_argument("--batch-sizes", nargs="+", type=int, default=[512, 2048, 8192])
    ap.add_argument("--workers", nargs="+", type=int, default=[0, 2])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.devices and args.accelerator == "cuda" and not torch.cuda.is_available():
        sys.exit("--devices needs a CUDA device; none is available")
    for config in args.configs:
        (bench_devices if args.devices else bench)(config, args)


if __name__ == "__main__":
    main()
