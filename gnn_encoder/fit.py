"""The training loop: one optimiser step per batch of labelled pairs, early stopping on the
validation AUC.

Each epoch shuffles the labels of every training slice into batches and shuffles the batches
across slices. Under ``torchrun`` (DistributedDataParallel, gloo) every rank draws the same
shuffle and takes an equal share of the batches, so the ranks' all-reduces stay in step.
The batches themselves (sampled subgraphs, inputs) come from gnn_encoder.batches' DataLoader.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from sklearn.metrics import roc_auc_score
from torch import nn
from tqdm import tqdm

from gnn_encoder.batches import BatchKey, LinkBatch, LinkBatches, batch_loader
from gnn_encoder.decoders import link_loss
from gnn_encoder.graph import SnapshotGraph
from gnn_encoder.inference import embed_graph
from gnn_encoder.labels import LinkLabels
from gnn_encoder.model import LinkSageEncoder
from linksage.config import GnnParams

Batch = tuple[int, np.ndarray]  # (training slice, label indices)


@dataclass(frozen=True)
class TrainingData:
    """The training slices (each one's labels with the graph they are scored on) and the
    validation slice."""

    train_sets: list[tuple[SnapshotGraph, LinkLabels]]
    val_graph: SnapshotGraph
    val_labels: LinkLabels


def rank_and_world() -> tuple[int, int]:
    """(rank, world size); joins torchrun's process group (gloo) when WORLD_SIZE > 1."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        if not dist.is_initialized():
            dist.init_process_group("gloo")
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class LinkModel(nn.Module):
    """Encoder + decoder returning a batch's loss (the unit DDP wraps)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, batch: LinkBatch) -> torch.Tensor:
        out = self.encoder(
            batch.x,
            batch.edge_index,
            batch.degrees,
            batch.num_sampled_nodes,
            batch.num_sampled_edges,
            input_rows=batch.x_rows,
        )
        m, j = batch.member_index, batch.job_index
        return link_loss(self.decoder, out["member"][m], out["job"][j], batch.labels, m, j)


@torch.no_grad()
def validate(encoder, decoder, graph: SnapshotGraph, labels: LinkLabels, cap: int, device) -> dict:
    """Validation BCE and AUC of labelled pairs scored by layer-wise inference on `graph`."""
    emb = embed_graph(encoder, graph, cap=cap, device=device)
    encoder.train()
    m = torch.from_numpy(emb["member"][labels.member]).to(device)
    j = torch.from_numpy(emb["job"][labels.job]).to(device)
    logits = decoder(m, j).cpu()
    y = torch.from_numpy(labels.label)
    loss = float(nn.functional.binary_cross_entropy_with_logits(logits, y))
    auc = (
        float(roc_auc_score(labels.label, logits.numpy())) if 0 < y.sum() < len(y) else float("nan")
    )
    return {"val_loss": loss, "val_auc": auc}


def epoch_batches(
    train_sets: list[tuple[SnapshotGraph, LinkLabels]], batch_size: int, rng: np.random.Generator
) -> tuple[list[Batch], np.ndarray]:
    """This epoch's batches of every slice and the order to run them in (a permutation).

    A slice's last batch is dropped when under half a batch (or half the slice, if smaller)."""
    batches: list[Batch] = []
    for k, (_, labels) in enumerate(train_sets):
        perm = rng.permutation(len(labels))
        batches += [
            (k, perm[i : i + batch_size])
            for i in range(0, len(perm), batch_size)
            if len(perm[i : i + batch_size]) >= min(batch_size, len(perm)) // 2
        ]
    return batches, rng.permutation(len(batches))


def rank_share(order: np.ndarray, rank: int, world: int) -> list[int]:
    """The batches this rank runs: every rank the same number of steps (DDP's all-reduce needs
    them in step), wrapping round when the batches do not divide evenly."""
    n_batches = len(order)
    per_rank = max(n_batches // world, 1)
    return [order[(rank + world * i) % n_batches] for i in range(per_rank)]


def train_epoch(
    net: nn.Module,
    opt: torch.optim.Optimizer,
    loader: Iterable[LinkBatch],
    *,
    device: torch.device,
    desc: str,
    progress: bool,
) -> tuple[list[float], int]:
    """One optimiser step per batch of `loader`; returns (the batch losses, pairs trained on)."""
    losses, pairs = [], 0
    for batch in tqdm(loader, desc=desc, disable=not progress, leave=False):
        # from pinned memory on CUDA: the copy overlaps the previous step's kernels
        loss = net(batch.to(device, non_blocking=True))
        opt.zero_grad(set_to_none=False)  # in place: see `in_place_gradients`
        loss.backward()
        opt.step()
        losses.append(loss.detach())  # no .item(): on CUDA it would wait for every step
        pairs += len(batch)
    return torch.stack(losses).tolist() if losses else [], pairs


def _mean_loss(losses: list[float], world: int) -> float:
    """Mean batch loss, averaged over the ranks."""
    train_loss = float(np.mean(losses)) if losses else float("nan")
    if world > 1:
        t = torch.tensor([train_loss])
        dist.all_reduce(t)
        train_loss = float(t) / world
    return train_loss


class EarlyStopping:
    """Keeps the state of the epoch with the best validation AUC; says when `patience` epochs
    in a row have not improved on it."""

    def __init__(self, model: nn.Module, patience: int):
        self.best = copy.deepcopy(model.state_dict())
        self.best_auc, self.bad, self.patience = -1.0, 0, patience

    def stop(self, auc: float, model: nn.Module) -> bool:
        """Record an epoch's AUC (and the model's state if best); True when training should end."""
        if auc > self.best_auc:
            self.best_auc, self.bad, self.best = auc, 0, copy.deepcopy(model.state_dict())
            return False
        self.bad += 1
        return self.bad >= self.patience


def make_optimizer(model: nn.Module, params: GnnParams, device: torch.device):
    """AdamW, with its fused kernel on CPU and CUDA (one pass over each parameter instead of a
    dozen whole-tensor ops): the attribute embeddings make every step update ~13M parameters
    at the paper config, where the fused step takes ~10x less time than the unfused one."""
    return torch.optim.AdamW(
        model.parameters(),
        lr=params.learning_rate,
        weight_decay=params.weight_decay,
        fused=device.type in ("cpu", "cuda"),
    )


@contextmanager
def in_place_gradients(model: nn.Module, sparse_embeddings: bool):
    """Within: every parameter has a persistent dense .grad (zeroed in place each step), and
    with `sparse_embeddings` the embedding tables send sparse gradients that are added into it,
    only the rows a batch touches: otherwise each step allocates and zero-fills a fresh
    [vocabulary, hidden] gradient per table (78K positions at the paper config). The values are
    the same. Not under DDP, whose reducer expects an Embedding's sparse gradient to stay
    sparse. On exit the model is as it was (no gradients, dense embeddings)."""
    tables = (
        [m for m in model.modules() if isinstance(m, nn.Embedding)] if sparse_embeddings else []
    )
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    for m in tables:
        m.sparse = True
    try:
        yield
    finally:
        for m in tables:
            m.sparse = False
        for p in model.parameters():
            p.grad = None


def device_batch_size(params: GnnParams, device: torch.device) -> int:
    """The training batch size: `cuda_batch_size` on a CUDA device when set, else
    `batch_size`."""
    if device.type == "cuda" and params.cuda_batch_size is not None:
        return params.cuda_batch_size
    return params.batch_size


def epoch_keys(
    batches: list[Batch], mine: list[int], *, seed: int, rank: int, epoch: int
) -> list[BatchKey]:
    """The BatchKeys of this rank's batches: each batch's sampling generator is seeded by
    (seed, rank, epoch, batch), so any process that prepares it draws the same subgraph."""
    return [BatchKey(batches[b][0], batches[b][1], (seed, rank, epoch, int(b))) for b in mine]


def _log_epoch(name: str, row: dict) -> None:
    print(
        f"[{name}] epoch {row['epoch']}: train_loss={row['train_loss']:.4f} "
        f"val_loss={row['val_loss']:.4f} val_auc={row['val_auc']:.4f}",
        flush=True,
    )


@dataclass
class _Run:
    """What every epoch of one `fit` uses."""

    net: nn.Module
    model: LinkModel
    opt: torch.optim.Optimizer
    dataset: LinkBatches
    workers: int
    device: torch.device
    rank: int
    world: int


def _epoch(run: _Run, data: TrainingData, params: GnnParams, epoch: int, rng, desc: str, progress):
    """Train one epoch and validate: (history row, pairs trained on by all ranks, seconds)."""
    batches, order = epoch_batches(data.train_sets, device_batch_size(params, run.device), rng)
    mine = rank_share(order, run.rank, run.world)
    keys = epoch_keys(batches, mine, seed=params.seed, rank=run.rank, epoch=epoch)
    t0 = time.perf_counter()
    losses, n = train_epoch(
        run.net,
        run.opt,
        batch_loader(run.dataset, keys, workers=run.workers, device=run.device),
        device=run.device,
        desc=desc,
        progress=progress and run.rank == 0,
    )
    seconds = time.perf_counter() - t0
    model, cap = run.model, params.neighbour_cap
    val = validate(model.encoder, model.decoder, data.val_graph, data.val_labels, cap, run.device)
    row = {"epoch": epoch + 1, "train_loss": _mean_loss(losses, run.world), **val}
    return row, n * run.world, seconds


def fit(
    model: LinkModel,
    data: TrainingData,
    params: GnnParams,
    *,
    device: torch.device,
    name: str = "gnn",
    progress: bool = True,
) -> tuple[dict, list[dict], dict]:
    """Train with early stopping on validation AUC; return (best state, history, throughput).

    The model is left holding the best epoch's state."""
    rank, world = rank_and_world()
    model.to(device)
    net = (
        nn.parallel.DistributedDataParallel(model, find_unused_parameters=False)
        if world > 1
        else model
    )
    uses_graph = isinstance(model.encoder, LinkSageEncoder)
    run = _Run(
        net,
        model,
        make_optimizer(model, params, device),
        LinkBatches(
            data.train_sets, tuple(params.fanouts) if uses_graph else None, params.neighbour_cap
        ),
        # the baseline's batches are a feature lookup: a worker would cost more than it saves
        params.loader_workers if uses_graph else 0,
        device,
        rank,
        world,
    )
    rng = np.random.default_rng(params.seed)  # same permutation on every rank
    history: list[dict] = []
    stopping = EarlyStopping(model, params.patience)
    pairs, train_seconds = 0, 0.0
    with in_place_gradients(model, sparse_embeddings=world == 1):
        for epoch in range(params.epochs):
            desc = f"{name} epoch {epoch + 1}/{params.epochs}"
            row, n, seconds = _epoch(run, data, params, epoch, rng, desc, progress)
            history.append(row)
            pairs, train_seconds = pairs + n, train_seconds + seconds
            if progress and rank == 0:
                _log_epoch(name, row)
            if stopping.stop(row["val_auc"], model):
                break
    model.load_state_dict(stopping.best)
    speed = {
        "train_pairs": pairs,
        "train_seconds": train_seconds,
        "train_pairs_per_s": pairs / train_seconds if train_seconds else float("nan"),
    }
    return stopping.best, history, speed
