"""The training loop: one optimiser step per batch of labelled pairs, early stopping on the
validation AUC.

Each epoch shuffles the labels of every training slice into batches and shuffles the batches
across slices. Under ``torchrun`` (DistributedDataParallel, gloo) every rank draws the same
shuffle and takes an equal share of the batches, so the ranks' all-reduces stay in step.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from sklearn.metrics import roc_auc_score
from torch import nn
from tqdm import tqdm

from gnn_encoder.decoders import link_loss
from gnn_encoder.graph import SnapshotGraph
from gnn_encoder.inference import embed_graph
from gnn_encoder.labels import LinkLabels
from gnn_encoder.model import LinkSageEncoder
from gnn_encoder.sampler import NeighbourSampler, gather_inputs
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
    """Encoder + decoder returning the batch loss (the unit DDP wraps)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, x_dict, edge_index_dict, m_inv, j_inv, labels, degrees=None):
        out = self.encoder(x_dict, edge_index_dict, degrees)
        return link_loss(
            self.decoder, out["member"][m_inv], out["job"][j_inv], labels, m_inv, j_inv
        )


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


def _batch_inputs(
    graph: SnapshotGraph, sampler: NeighbourSampler | None, batch: LinkLabels, device
) -> tuple[dict, dict | None, dict | None, np.ndarray, np.ndarray]:
    """(x, edge_index, degrees, member inverse, job inverse) of one batch of labelled pairs.

    With a sampler the batch's own pairs are removed from its message passing; without one
    (the no-message-passing baseline) the inputs are the pairs' own features."""
    mu, m_inv = np.unique(batch.member, return_inverse=True)
    ju, j_inv = np.unique(batch.job, return_inverse=True)
    if sampler is not None:
        sub = sampler.sample({"member": mu, "job": ju}, exclude_pairs=(batch.member, batch.job))
        x = gather_inputs(graph, sub.node_ids)
        ei = {k: v.to(device) for k, v in sub.edge_index.items()}
        deg = {k: v.to(device) for k, v in sub.degrees.items()}
    else:
        x = {
            "member": torch.from_numpy(graph.features["member"][mu]),
            "job": torch.from_numpy(graph.features["job"][ju]),
        }
        ei = deg = None
    x = {k: v.to(device) for k, v in x.items()}
    return x, ei, deg, m_inv, j_inv


def train_epoch(
    net: nn.Module,
    opt: torch.optim.Optimizer,
    train_sets: list[tuple[SnapshotGraph, LinkLabels]],
    samplers: list[NeighbourSampler | None],
    batches: list[Batch],
    mine: list[int],
    *,
    device,
    desc: str,
    progress: bool,
) -> tuple[list[float], int]:
    """One optimiser step per batch in `mine`; returns (the batch losses, pairs trained on)."""
    losses, pairs = [], 0
    for b in tqdm(mine, desc=desc, disable=not progress, leave=False):
        k, idx = batches[b]
        graph, sampler = train_sets[k][0], samplers[k]
        batch = train_sets[k][1].take(idx)
        x, ei, deg, m_inv, j_inv = _batch_inputs(graph, sampler, batch, device)
        loss = net(
            x,
            ei,
            torch.from_numpy(m_inv).to(device),
            torch.from_numpy(j_inv).to(device),
            torch.from_numpy(batch.label).to(device),
            deg,
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        pairs += len(batch)
    return losses, pairs


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
    opt = torch.optim.AdamW(
        model.parameters(), lr=params.learning_rate, weight_decay=params.weight_decay
    )
    uses_graph = isinstance(model.encoder, LinkSageEncoder)
    fanouts, cap, seed = tuple(params.fanouts), params.neighbour_cap, params.seed
    samplers = [
        NeighbourSampler(g, fanouts, seed=seed + rank, degree_cap=cap) if uses_graph else None
        for g, _ in data.train_sets
    ]
    rng = np.random.default_rng(seed)  # same permutation on every rank
    history: list[dict] = []
    stopping = EarlyStopping(model, params.patience)
    pairs, train_seconds = 0, 0.0
    for epoch in range(params.epochs):
        batches, order = epoch_batches(data.train_sets, params.batch_size, rng)
        t0 = time.perf_counter()
        losses, n = train_epoch(
            net,
            opt,
            data.train_sets,
            samplers,
            batches,
            rank_share(order, rank, world),
            device=device,
            desc=f"{name} epoch {epoch + 1}/{params.epochs}",
            progress=progress and rank == 0,
        )
        pairs += n * world
        train_seconds += time.perf_counter() - t0
        train_loss = _mean_loss(losses, world)
        row = {
            "epoch": epoch + 1,
            "train_loss": train_loss,
            **validate(model.encoder, model.decoder, data.val_graph, data.val_labels, cap, device),
        }
        history.append(row)
        if progress and rank == 0:
            print(
                f"[{name}] epoch {epoch + 1}: train_loss={train_loss:.4f} "
                f"val_loss={row['val_loss']:.4f} val_auc={row['val_auc']:.4f}",
                flush=True,
            )
        if stopping.stop(row["val_auc"], model):
            break
    model.load_state_dict(stopping.best)
    speed = {
        "train_pairs": pairs,
        "train_seconds": train_seconds,
        "train_pairs_per_s": pairs / train_seconds if train_seconds else float("nan"),
    }
    return stopping.best, history, speed
