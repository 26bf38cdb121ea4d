"""Train the encoder-decoder on data before t_gnn_end; write OUT/gnn/.

Time split (all before t_gnn_end): training labels are the pairs before
t_val = t_gnn_end - validation_days; by default they are scored on one graph holding every edge
before t_val, with each batch's supervised pairs removed from its sampled message passing
(`train_slice_days` instead scores the labels of each slice on the graph at the slice's start,
as at serving time). The validation slice [t_val, t_gnn_end) is scored with layer-wise inference
on the graph at t_val (no edge of the slice is in it); early stopping keeps the epoch with the
best validation AUC.

Runs as one process or under ``torchrun --nproc_per_node=N`` (DistributedDataParallel, gloo):
every rank builds the same graph and labels, takes an equal share of each epoch's batches, and
rank 0 writes the outputs:

    torchrun --standalone --nproc_per_node=2 "$(which linksage)" train-gnn --config C
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from sklearn.metrics import roc_auc_score
from torch import nn
from tqdm import tqdm

from gnn_encoder.checkpoint import save_checkpoint
from gnn_encoder.decoders import link_loss, make_decoder
from gnn_encoder.evaluate import POPULARITY, link_prediction_metrics
from gnn_encoder.features import feature_dims
from gnn_encoder.graph import ATTRIBUTE_TYPES, SnapshotGraph, build_graph, edge_types
from gnn_encoder.id_maps import build_id_maps
from gnn_encoder.inference import embed_graph
from gnn_encoder.labels import LinkLabels, link_labels
from gnn_encoder.model import LinkSageEncoder, NoMessagePassingEncoder
from gnn_encoder.sampler import NeighbourSampler, gather_inputs
from linksage.data.tables import Tables
from linksage.errors import LinksageError
from linksage.io import atomic_path, atomic_write_text


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


def resolve_device(device: str) -> torch.device:
    """auto -> cuda when available, else cpu. The product never needs a GPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("gnn.device is 'cuda' but no CUDA device is available; use auto or cpu")
    return torch.device(device)


def _dist() -> tuple[int, int]:
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        if not dist.is_initialized():
            dist.init_process_group("gloo")
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


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


def fit(
    model: LinkModel,
    *,
    train_sets: list[tuple[SnapshotGraph, LinkLabels]],
    val_graph: SnapshotGraph,
    val_labels: LinkLabels,
    fanouts,
    epochs: int,
    patience: int,
    batch_size: int,
    learning_rate: float,
    cap: int,
    seed: int,
    device,
    weight_decay: float = 0.0,
    name: str = "gnn",
    progress: bool = True,
) -> tuple[dict, list[dict], dict]:
    """Train with early stopping on validation AUC; return (best state, history, throughput)."""
    rank, world = _dist()
    model.to(device)
    net = (
        nn.parallel.DistributedDataParallel(model, find_unused_parameters=False)
        if world > 1
        else model
    )
    opt = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    uses_graph = isinstance(model.encoder, LinkSageEncoder)
    samplers = [
        NeighbourSampler(g, fanouts, seed=seed + rank, degree_cap=cap) if uses_graph else None
        for g, _ in train_sets
    ]
    rng = np.random.default_rng(seed)  # same permutation on every rank
    history, best, best_auc, bad = [], copy.deepcopy(model.state_dict()), -1.0, 0
    pairs, train_seconds = 0, 0.0
    for epoch in range(epochs):
        batches = []  # (slice, label indices), shuffled across slices
        for k, (_, labels) in enumerate(train_sets):
            perm = rng.permutation(len(labels))
            batches += [
                (k, perm[i : i + batch_size])
                for i in range(0, len(perm), batch_size)
                if len(perm[i : i + batch_size]) >= min(batch_size, len(perm)) // 2
            ]
        order = rng.permutation(len(batches))
        n_batches = len(batches)
        per_rank = max(n_batches // world, 1)  # equal step counts keep DDP's all-reduce in step
        mine = [order[(rank + world * i) % n_batches] for i in range(per_rank)]
        losses, t0 = [], time.perf_counter()
        it = tqdm(
            mine,
            desc=f"{name} epoch {epoch + 1}/{epochs}",
            disable=not progress or rank != 0,
            leave=False,
        )
        for b in it:
            k, idx = batches[b]
            graph, sampler = train_sets[k][0], samplers[k]
            batch = train_sets[k][1].take(idx)
            mu, m_inv = np.unique(batch.member, return_inverse=True)
            ju, j_inv = np.unique(batch.job, return_inverse=True)
            if sampler is not None:
                sub = sampler.sample(
                    {"member": mu, "job": ju}, exclude_pairs=(batch.member, batch.job)
                )
                x = gather_inputs(graph, sub.node_ids)
                ei = {k2: v.to(device) for k2, v in sub.edge_index.items()}
                deg = {k2: v.to(device) for k2, v in sub.degrees.items()}
            else:
                x = {
                    "member": torch.from_numpy(graph.features["member"][mu]),
                    "job": torch.from_numpy(graph.features["job"][ju]),
                }
                ei = deg = None
            x = {k: v.to(device) for k, v in x.items()}
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
            pairs += len(batch) * world
        train_seconds += time.perf_counter() - t0
        train_loss = float(np.mean(losses)) if losses else float("nan")
        if world > 1:
            t = torch.tensor([train_loss])
            dist.all_reduce(t)
            train_loss = float(t) / world
        row = {
            "epoch": epoch + 1,
            "train_loss": train_loss,
            **validate(model.encoder, model.decoder, val_graph, val_labels, cap, device),
        }
        history.append(row)
        if progress and rank == 0:
            print(
                f"[{name}] epoch {epoch + 1}: train_loss={train_loss:.4f} "
                f"val_loss={row['val_loss']:.4f} val_auc={row['val_auc']:.4f}",
                flush=True,
            )
        if row["val_auc"] > best_auc:
            best_auc, bad, best = row["val_auc"], 0, copy.deepcopy(model.state_dict())
        else:
            bad += 1
            if bad >= patience:
                break
    model.load_state_dict(best)
    speed = {
        "train_pairs": pairs,
        "train_seconds": train_seconds,
        "train_pairs_per_s": pairs / train_seconds if train_seconds else float("nan"),
    }
    return best, history, speed


def _plot_curves(path: Path, histories: dict[str, list[dict]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for name, hist in histories.items():
        ep = [h["epoch"] for h in hist]
        a.plot(ep, [h["train_loss"] for h in hist], marker="o", label=f"{name} train")
        a.plot(ep, [h["val_loss"] for h in hist], marker="x", linestyle="--", label=f"{name} val")
        b.plot(ep, [h["val_auc"] for h in hist], marker="o", label=name)
    a.set(xlabel="epoch", ylabel="BCE loss", title="loss")
    b.set(xlabel="epoch", ylabel="AUC", title="validation AUC")
    a.legend(), b.legend()
    fig.tight_layout()
    with atomic_path(path.with_suffix(".png")) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def _training_slices(tables, *, t_val, slice_days, gkw, lkw, seed):
    """(graph, labels) pairs. With `slice_days`, labels in [t_k, t_k + slice) are scored on the
    graph at t_k (edges before the label slice, as at serving time); without, one graph at t_val
    holds every edge and the batch's own pairs are removed from its message passing."""
    first = pd.Timestamp(tables.engagements["at"].min()).floor("D")
    if slice_days is None:
        graph = build_graph(tables, time=t_val, **gkw)
        return [(graph, link_labels(tables, graph, start=first, end=t_val, seed=seed, **lkw))]
    step, sets, end = pd.Timedelta(days=slice_days), [], t_val
    while end > first:
        start = end - step
        graph = build_graph(tables, time=start, node_time=end, **gkw)
        labels = link_labels(tables, graph, start=start, end=end, seed=seed + len(sets), **lkw)
        if len(labels) and labels.label.sum() > 0:
            sets.append((graph, labels))
        end = start
    return sets[::-1]


def train_gnn(
    *,
    tables: Tables,
    output_dir: Path | str,
    t_gnn_end,
    eval_start=None,
    eval_end=None,
    hidden_dim: int = 64,
    embedding_dim: int = 64,
    aggregation: str = "mean",
    decoder: str = "mlp",
    degree_features: bool = True,
    dropout: float = 0.3,
    weight_decay: float = 0.01,
    fanouts=(15, 10),
    top_skills: int = 5,
    skill_nodes: bool = True,
    neighbour_cap: int = 50,
    positive_actions=("apply", "save"),
    negatives_per_positive: int = 4,
    validation_days: float = 5.0,
    epochs: int = 10,
    patience: int = 2,
    batch_size: int = 512,
    learning_rate: float = 3e-3,
    seed: int = 0,
    device: str = "auto",
    baselines: bool = True,
    eval_max_applies: int = 2000,
    eval_step_days: float = 7.0,
    train_slice_days: float | None = None,
    config_yaml: str | None = None,
    progress: bool = True,
) -> dict:
    """Train the GNN (and the no-message-passing baseline), evaluate, write `output_dir`:
    checkpoint.pt, config.yaml (if given), metrics.json, curves.png. Returns the metrics."""
    rank, world = _dist()
    torch.manual_seed(seed)
    dev = resolve_device(device)
    out = Path(output_dir)
    t_end = pd.Timestamp(t_gnn_end)
    t_val = t_end - pd.Timedelta(days=validation_days)
    id_maps = build_id_maps(tables, before=t_end)
    gkw = {"id_maps": id_maps, "top_skills": top_skills, "skill_nodes": skill_nodes}
    val_graph = build_graph(tables, time=t_val, node_time=t_end, **gkw)
    lkw = {
        "positive_actions": tuple(positive_actions),
        "negatives_per_positive": negatives_per_positive,
    }
    val_labels = link_labels(tables, val_graph, start=t_val, end=t_end, seed=seed + 1, **lkw)
    train_sets = _training_slices(
        tables, t_val=t_val, slice_days=train_slice_days, gkw=gkw, lkw=lkw, seed=seed
    )
    n_pos = sum(int(lab.label.sum()) for _, lab in train_sets)
    if n_pos == 0:
        raise LinksageError(
            f"no positive engagements ({', '.join(positive_actions)}) before "
            f"{t_val.isoformat()} to train the GNN on; widen the data or windows"
        )
    dims = feature_dims(id_maps)
    enc_kwargs = {
        "edge_types": list(edge_types(skill_nodes)),
        "feature_dims": dims,
        "vocab_sizes": {t: id_maps.size(t) for t in ATTRIBUTE_TYPES},
        "hidden_dim": hidden_dim,
        "embedding_dim": embedding_dim,
        "aggregation": aggregation,
        "degree_features": degree_features,
        "dropout": dropout,
        "shared_root": True,
    }
    fkw = {
        "train_sets": train_sets,
        "val_graph": val_graph,
        "val_labels": val_labels,
        "fanouts": tuple(fanouts),
        "epochs": epochs,
        "patience": patience,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "weight_decay": weight_decay,
        "cap": neighbour_cap,
        "seed": seed,
        "device": dev,
        "progress": progress,
    }
    gnn = LinkModel(LinkSageEncoder(**enc_kwargs), make_decoder(decoder, embedding_dim))
    _, history, speed = fit(gnn, name="gnn", **fkw)
    histories = {"gnn": history}
    models: dict = {"gnn": (gnn.encoder, gnn.decoder), POPULARITY: POPULARITY}
    if baselines:
        torch.manual_seed(seed)
        nomp = LinkModel(
            NoMessagePassingEncoder(
                feature_dims=dims, hidden_dim=hidden_dim, embedding_dim=embedding_dim
            ),
            make_decoder(decoder, embedding_dim),
        )
        _, histories["no_message_passing"], _ = fit(nomp, name="no_message_passing", **fkw)
        models["no_message_passing"] = (nomp.encoder, nomp.decoder)
    if rank != 0:
        dist.barrier()
        return {}
    newest = [
        x
        for x in [val_graph.max_edge_time, val_labels.max_time]
        + [g.max_edge_time for g, _ in train_sets]
        + [lab.max_time for _, lab in train_sets]
        if x is not None
    ]
    metrics = {
        "training_data_max_time": max(newest).isoformat(),
        "t_gnn_end": t_end.isoformat(),
        "t_validation_start": t_val.isoformat(),
        "n_train_pairs": sum(len(lab) for _, lab in train_sets),
        "n_train_positives": n_pos,
        "train_slice_days": train_slice_days,
        "n_train_slices": len(train_sets),
        "n_validation_pairs": len(val_labels),
        "world_size": world,
        "device": str(dev),
        "variant": {
            "aggregation": aggregation,
            "decoder": decoder,
            "skill_nodes": skill_nodes,
            "degree_features": degree_features,
            "dropout": dropout,
            "weight_decay": weight_decay,
        },
        "best_val_auc": max(h["val_auc"] for h in history),
        "epochs_run": len(history),
        "history": histories,
        **speed,
    }
    if eval_start is not None and eval_end is not None:
        metrics["link_prediction"] = link_prediction_metrics(
            tables=tables,
            id_maps=id_maps,
            models=models,
            start=pd.Timestamp(eval_start),
            end=pd.Timestamp(eval_end),
            top_skills=top_skills,
            skill_nodes=skill_nodes,
            cap=neighbour_cap,
            max_applies=eval_max_applies,
            step_days=eval_step_days,
            seed=seed,
            device=str(dev),
        )
    out.mkdir(parents=True, exist_ok=True)
    metrics["model_version"] = save_checkpoint(
        out / "checkpoint.pt",
        encoder=gnn.encoder,
        encoder_kwargs=enc_kwargs,
        decoder=gnn.decoder,
        decoder_name=decoder,
        id_maps=id_maps,
        top_skills=top_skills,
        skill_nodes=skill_nodes,
        neighbour_cap=neighbour_cap,
        t_gnn_end=t_end.isoformat(),
    )
    if config_yaml is not None:
        atomic_write_text(out / "config.yaml", config_yaml)
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2, default=str))
    _plot_curves(out / "curves.png", histories)
    if world > 1:
        dist.barrier()
    return metrics
