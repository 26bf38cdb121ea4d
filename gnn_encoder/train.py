"""Train the encoder-decoder on data before t_gnn_end; write OUT/gnn/.

Time split (all before t_gnn_end): training labels are the pairs before
t_val = t_gnn_end - validation_days; by default (`train_slice_days`, 7) the labels of each slice
are scored on the graph at the slice's start, as a snapshot embeds at serving time, so no
neighbourhood holds an engagement from the label's slice or later (`train_slice_days: null`:
one graph holding every edge before t_val, each batch's supervised pairs removed from its
sampled message passing). The validation slice [t_val, t_gnn_end) is scored with layer-wise inference
on the graph at t_val (no edge of the slice is in it); early stopping keeps the epoch with the
best validation AUC (the epoch loop is `gnn_encoder.fit.fit`).

Runs as one process or under ``torchrun --nproc_per_node=N`` (DistributedDataParallel, gloo):
every rank builds the same graph and labels, takes an equal share of each epoch's batches, and
rank 0 writes the outputs:

    torchrun --standalone --nproc_per_node=2 "$(which linksage)" train-gnn --config C
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
import torch.distributed as dist

from gnn_encoder.checkpoint import save_checkpoint
from gnn_encoder.decoders import make_decoder
from gnn_encoder.evaluate import POPULARITY, link_prediction_metrics
from gnn_encoder.features import feature_dims
from gnn_encoder.fit import LinkModel, TrainingData, fit, rank_and_world
from gnn_encoder.graph import ATTRIBUTE_TYPES, build_graph, edge_types
from gnn_encoder.id_maps import IdMaps, build_id_maps
from gnn_encoder.labels import link_labels
from gnn_encoder.model import LinkSageEncoder, NoMessagePassingEncoder
from linksage import artifacts
from linksage.config import GnnParams
from linksage.data.tables import Tables
from linksage.errors import InsufficientDataError
from linksage.io import atomic_path, atomic_write_text


def resolve_device(device: str) -> torch.device:
    """auto -> cuda when available, else cpu. The product never needs a GPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("gnn.device is 'cuda' but no CUDA device is available; use auto or cpu")
    return torch.device(device)


@dataclass(frozen=True)
class TrainedModels:
    """The trained GNN, every model's epoch history, the GNN's throughput, and the models the
    link-prediction metrics compare (name -> (encoder, decoder), or POPULARITY)."""

    gnn: LinkModel
    encoder_kwargs: dict
    histories: dict[str, list[dict]]
    speed: dict
    compared: dict


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


def build_training_data(
    tables: Tables, id_maps: IdMaps, *, t_val: pd.Timestamp, t_end: pd.Timestamp, params: GnnParams
) -> TrainingData:
    """The training slices before t_val and the validation slice [t_val, t_end)."""
    gkw = {"id_maps": id_maps, "top_skills": params.top_skills, "skill_nodes": params.skill_nodes}
    val_graph = build_graph(tables, time=t_val, node_time=t_end, **gkw)
    lkw = {
        "positive_actions": tuple(params.positive_actions),
        "negatives_per_positive": params.negatives_per_positive,
    }
    val_labels = link_labels(tables, val_graph, start=t_val, end=t_end, seed=params.seed + 1, **lkw)
    train_sets = _training_slices(
        tables, t_val=t_val, slice_days=params.train_slice_days, gkw=gkw, lkw=lkw, seed=params.seed
    )
    return TrainingData(train_sets=train_sets, val_graph=val_graph, val_labels=val_labels)


def _require_positives(data: TrainingData, params: GnnParams, t_val: pd.Timestamp) -> None:
    """Refuse training data without a positive pair, naming the actions and the cut-off."""
    if sum(int(lab.label.sum()) for _, lab in data.train_sets) == 0:
        raise InsufficientDataError(
            f"no positive engagements ({', '.join(params.positive_actions)}) before "
            f"{t_val.isoformat()} to train the GNN on; widen the data or windows"
        )


def encoder_kwargs(id_maps: IdMaps, params: GnnParams) -> dict:
    """LinkSageEncoder's arguments (saved in the checkpoint to rebuild it)."""
    return {
        "edge_types": list(edge_types(params.skill_nodes)),
        "feature_dims": feature_dims(id_maps),
        "vocab_sizes": {t: id_maps.size(t) for t in ATTRIBUTE_TYPES},
        "hidden_dim": params.hidden_dim,
        "embedding_dim": params.embedding_dim,
        "aggregation": params.aggregation,
        "degree_features": params.degree_features,
        "dropout": params.dropout,
        "shared_root": True,
    }


def train_models(
    data: TrainingData, id_maps: IdMaps, params: GnnParams, device: torch.device, progress: bool
) -> TrainedModels:
    """Train the GNN, then (with `params.baselines`) the no-message-passing baseline."""
    enc_kwargs = encoder_kwargs(id_maps, params)
    decoder = params.decoder, params.embedding_dim
    gnn = LinkModel(LinkSageEncoder(**enc_kwargs), make_decoder(*decoder))
    _, history, speed = fit(gnn, data, params, device=device, name="gnn", progress=progress)
    histories = {"gnn": history}
    compared: dict = {"gnn": (gnn.encoder, gnn.decoder), POPULARITY: POPULARITY}
    if params.baselines:
        torch.manual_seed(params.seed)  # the baseline starts from the same seed as the GNN
        nomp = LinkModel(
            NoMessagePassingEncoder(
                feature_dims=enc_kwargs["feature_dims"],
                hidden_dim=params.hidden_dim,
                embedding_dim=params.embedding_dim,
            ),
            make_decoder(*decoder),
        )
        name = "no_message_passing"
        _, histories[name], _ = fit(nomp, data, params, device=device, name=name, progress=progress)
        compared[name] = (nomp.encoder, nomp.decoder)
    return TrainedModels(gnn, enc_kwargs, histories, speed, compared)


def _newest_training_time(data: TrainingData) -> pd.Timestamp:
    """The latest edge or label time any training or validation input saw."""
    newest = [
        x
        for x in [data.val_graph.max_edge_time, data.val_labels.max_time]
        + [g.max_edge_time for g, _ in data.train_sets]
        + [lab.max_time for _, lab in data.train_sets]
        if x is not None
    ]
    return max(newest)


def run_metrics(
    data: TrainingData,
    trained: TrainedModels,
    params: GnnParams,
    *,
    t_end: pd.Timestamp,
    t_val: pd.Timestamp,
    world: int,
    device: torch.device,
) -> dict:
    """metrics.json's training summary: windows, data sizes, variant, epoch histories, speed."""
    history = trained.histories["gnn"]
    return {
        "training_data_max_time": _newest_training_time(data).isoformat(),
        "t_gnn_end": t_end.isoformat(),
        "t_validation_start": t_val.isoformat(),
        "n_train_pairs": sum(len(lab) for _, lab in data.train_sets),
        "n_train_positives": sum(int(lab.label.sum()) for _, lab in data.train_sets),
        "train_slice_days": params.train_slice_days,
        "n_train_slices": len(data.train_sets),
        "n_validation_pairs": len(data.val_labels),
        "world_size": world,
        "device": str(device),
        "variant": {
            "aggregation": params.aggregation,
            "decoder": params.decoder,
            "skill_nodes": params.skill_nodes,
            "degree_features": params.degree_features,
            "dropout": params.dropout,
            "weight_decay": params.weight_decay,
        },
        "best_val_auc": max(h["val_auc"] for h in history),
        "epochs_run": len(history),
        "history": trained.histories,
        **trained.speed,
    }


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


def write_outputs(
    out: Path,
    trained: TrainedModels,
    metrics: dict,
    *,
    id_maps: IdMaps,
    params: GnnParams,
    t_end: pd.Timestamp,
    config_yaml: str | None,
) -> None:
    """checkpoint.pt (its model_version goes into `metrics`), config.yaml, metrics.json and
    curves.png."""
    out.mkdir(parents=True, exist_ok=True)
    metrics["model_version"] = save_checkpoint(
        out / artifacts.CHECKPOINT,
        encoder=trained.gnn.encoder,
        encoder_kwargs=trained.encoder_kwargs,
        decoder=trained.gnn.decoder,
        decoder_name=params.decoder,
        id_maps=id_maps,
        top_skills=params.top_skills,
        skill_nodes=params.skill_nodes,
        neighbour_cap=params.neighbour_cap,
        t_gnn_end=t_end.isoformat(),
    )
    if config_yaml is not None:
        atomic_write_text(out / "config.yaml", config_yaml)
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2, default=str))
    _plot_curves(out / "curves.png", trained.histories)


def train_gnn(
    tables: Tables,
    output_dir: Path | str,
    *,
    t_gnn_end,
    eval_start=None,
    eval_end=None,
    params: GnnParams = GnnParams(),
    device: str = "auto",
    config_yaml: str | None = None,
    progress: bool = True,
) -> dict:
    """Train the GNN (and the no-message-passing baseline), evaluate, write `output_dir`:
    checkpoint.pt, config.yaml (if given), metrics.json, curves.png. Returns the metrics
    (empty on ranks other than 0).

    The link-prediction metrics over [eval_start, eval_end) are computed when both are given."""
    rank, world = rank_and_world()
    torch.manual_seed(params.seed)
    dev = resolve_device(device)
    t_end = pd.Timestamp(t_gnn_end)
    t_val = t_end - pd.Timedelta(days=params.validation_days)
    id_maps = build_id_maps(tables, before=t_end)
    data = build_training_data(tables, id_maps, t_val=t_val, t_end=t_end, params=params)
    _require_positives(data, params, t_val)
    trained = train_models(data, id_maps, params, dev, progress)
    if rank != 0:
        dist.barrier()
        return {}
    metrics = run_metrics(data, trained, params, t_end=t_end, t_val=t_val, world=world, device=dev)
    if eval_start is not None and eval_end is not None:
        metrics["link_prediction"] = link_prediction_metrics(
            tables=tables,
            id_maps=id_maps,
            models=trained.compared,
            start=pd.Timestamp(eval_start),
            end=pd.Timestamp(eval_end),
            top_skills=params.top_skills,
            skill_nodes=params.skill_nodes,
            cap=params.neighbour_cap,
            max_applies=params.eval_max_applies,
            step_days=params.eval_step_days,
            seed=params.seed,
            device=str(dev),
        )
    write_outputs(
        Path(output_dir),
        trained,
        metrics,
        id_maps=id_maps,
        params=params,
        t_end=t_end,
        config_yaml=config_yaml,
    )
    if world > 1:
        dist.barrier()
    return metrics
