"""Shared test helpers: a frozen random encoder exported to ONNX, and a bootstrapped state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gnn_encoder.features import feature_dims
from gnn_encoder.graph import ATTRIBUTE_TYPES, build_graph, edge_types
from gnn_encoder.id_maps import IdMaps, build_id_maps
from gnn_encoder.inference import embed_graph
from gnn_encoder.model import LinkSageEncoder
from gnn_encoder.nearline.backends import SqliteBackend
from gnn_encoder.nearline.encoders import EgoEncoders
from gnn_encoder.nearline.service import bootstrap_state
from gnn_encoder.nearline.state import GraphState
from gnn_encoder.onnx_export import export_ego_onnx
from linksage.data.tables import Tables


def random_encoder(id_maps: IdMaps, *, seed: int = 0, aggregation: str = "mean") -> LinkSageEncoder:
    """An untrained (random, frozen) encoder: equality does not depend on training."""
    torch.manual_seed(seed)
    return LinkSageEncoder(
        edge_types=list(edge_types(True)),
        feature_dims=feature_dims(id_maps),
        vocab_sizes={t: id_maps.size(t) for t in ATTRIBUTE_TYPES},
        hidden_dim=8,
        embedding_dim=4,
        aggregation=aggregation,
    ).eval()


def export_encoders(encoder, id_maps: IdMaps, directory: Path, cap: int) -> EgoEncoders:
    paths = {}
    for target in ("member", "job"):
        paths[target] = export_ego_onnx(
            encoder,
            directory / f"encoder_{target}.onnx",
            target_type=target,
            cap=cap,
            feature_dims=feature_dims(id_maps),
        )
    return EgoEncoders(paths["member"], paths["job"])


def batch_embeddings(encoder, tables: Tables, id_maps: IdMaps, *, time, cap: int) -> dict:
    """{(type, id): vector} as `linksage embed` computes them for the snapshot at `time`."""
    graph = build_graph(tables, time=time, id_maps=id_maps, top_skills=5)
    emb = embed_graph(encoder, graph, cap=cap)
    out = {("member", int(i)): v for i, v in zip(graph.member_ids, emb["member"], strict=True)}
    out |= {("job", int(i)): v for i, v in zip(graph.job_ids, emb["job"], strict=True)}
    return out


def fresh_state(tables: Tables, id_maps: IdMaps, *, time, cap: int, backend=None) -> GraphState:
    state = GraphState(backend or SqliteBackend(":memory:"), cap=cap)
    bootstrap_state(state, tables, time=time, id_maps=id_maps, top_skills=5, info={})
    return state


def vocab(tables: Tables, before) -> IdMaps:
    return build_id_maps(tables, before=pd.Timestamp(before))


__all__ = ["np", "random_encoder", "export_encoders", "batch_embeddings", "fresh_state", "vocab"]
