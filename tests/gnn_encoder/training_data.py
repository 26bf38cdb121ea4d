"""Train-gnn's training data on the tiny marketplace, for the batch, sampler and fit tests."""

from __future__ import annotations

import pandas as pd

from gnn_encoder.id_maps import build_id_maps
from gnn_encoder.train import build_training_data
from linksage.config import GnnParams

T_END = pd.Timestamp("2026-01-29", tz="UTC")


def tiny_params(**overrides) -> GnnParams:
    """The tiny config's GNN hyper-parameters (tests/support/config.py), plus `overrides`."""
    kw = {"hidden_dim": 16, "embedding_dim": 8, "fanouts": (5, 3), "batch_size": 64}
    return GnnParams(**{**kw, "validation_days": 1, **overrides})


def tiny_training_data(tables, params: GnnParams):
    """(id maps, TrainingData) as train-gnn builds them for the tiny config."""
    maps = build_id_maps(tables, before=T_END)
    t_val = T_END - pd.Timedelta(days=params.validation_days)
    return maps, build_training_data(tables, maps, t_val=t_val, t_end=T_END, params=params)
