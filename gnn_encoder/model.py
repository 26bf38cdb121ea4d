"""The LinkSAGE encoder: a 2-layer heterogeneous GraphSAGE built from PyG layers.

Members and jobs enter through a linear projection of their own features (no per-entity id
embedding, so unseen members and jobs are embedded without retraining); attribute nodes (skill,
title, company, position) through a learned embedding of their vocabulary id. Each layer is a
PyG ``HeteroConv`` that sums one conv per relation: ``SAGEConv`` (aggregation "mean") or
``GATConv`` with a residual root term (aggregation "attention"). The last layer only produces
member and job embeddings. ``NoMessagePassingEncoder`` is the baseline that sees only the node's
own features.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torch_geometric.nn import GATConv, HeteroConv, SAGEConv

from gnn_encoder.graph import ATTRIBUTE_TYPES, ENTITY_TYPES, EdgeType


def make_conv(aggregation: str, in_dim: int, out_dim: int) -> nn.Module:
    """One relation's conv: SAGEConv(mean) or single-head GATConv with a residual root."""
    if aggregation == "mean":
        return SAGEConv((in_dim, in_dim), out_dim, aggr="mean")
    if aggregation == "attention":
        return GATConv((in_dim, in_dim), out_dim, heads=1, add_self_loops=False, residual=True)
    raise ValueError(f"gnn.aggregation must be 'mean' or 'attention', got {aggregation!r}")


class InputEncoder(nn.Module):
    """Maps raw inputs to hidden_dim: linear for member/job features, embedding for attributes."""

    def __init__(
        self, *, feature_dims: dict[str, int], vocab_sizes: dict[str, int], hidden_dim: int
    ):
        super().__init__()
        self.linear = nn.ModuleDict(
            {t: nn.Linear(feature_dims[t], hidden_dim) for t in ENTITY_TYPES}
        )
        self.embedding = nn.ModuleDict(
            {
                t: nn.Embedding(vocab_sizes[t], hidden_dim)
                for t in ATTRIBUTE_TYPES
                if t in vocab_sizes
            }
        )

    def forward(self, x_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = {}
        for t, x in x_dict.items():
            out[t] = self.linear[t](x) if t in self.linear else self.embedding[t](x)
        return out


class LinkSageEncoder(nn.Module):
    """2-layer hetero GraphSAGE: raw inputs -> {member: [n, D], job: [n, D]}."""

    def __init__(
        self,
        *,
        edge_types: list[EdgeType],
        feature_dims: dict[str, int],
        vocab_sizes: dict[str, int],
        hidden_dim: int = 64,
        embedding_dim: int = 64,
        aggregation: str = "mean",
    ):
        super().__init__()
        self.edge_types = [tuple(e) for e in edge_types]
        self.aggregation = aggregation
        self.inputs = InputEncoder(
            feature_dims=feature_dims, vocab_sizes=vocab_sizes, hidden_dim=hidden_dim
        )
        self.conv1 = HeteroConv(
            {e: make_conv(aggregation, hidden_dim, hidden_dim) for e in self.edge_types}, aggr="sum"
        )
        with warnings.catch_warnings():  # attribute types are not layer-2 destinations: intended
            warnings.simplefilter("ignore", UserWarning)
            self.conv2 = HeteroConv(
                {
                    e: make_conv(aggregation, hidden_dim, embedding_dim)
                    for e in self.edge_types
                    if e[2] in ENTITY_TYPES
                },
                aggr="sum",
            )

    def layer1(self, h0: dict[str, torch.Tensor], edge_index_dict) -> dict[str, torch.Tensor]:
        h1 = self.conv1(h0, edge_index_dict)
        return {t: torch.relu(h) for t, h in h1.items()}

    def layer2(self, h1: dict[str, torch.Tensor], edge_index_dict) -> dict[str, torch.Tensor]:
        return self.conv2(h1, {e: a for e, a in edge_index_dict.items() if e[2] in ENTITY_TYPES})

    def forward(self, x_dict, edge_index_dict) -> dict[str, torch.Tensor]:
        h0 = self.inputs(x_dict)
        return self.layer2(self.layer1(h0, edge_index_dict), edge_index_dict)


class NoMessagePassingEncoder(nn.Module):
    """Baseline: the same inputs, an MLP on the node's own features, no neighbours."""

    def __init__(
        self,
        *,
        feature_dims: dict[str, int],
        hidden_dim: int = 64,
        embedding_dim: int = 64,
        **_ignored,
    ):
        super().__init__()
        self.mlp = nn.ModuleDict(
            {
                t: nn.Sequential(
                    nn.Linear(feature_dims[t], hidden_dim),
                    nn.ReLU(),
                    nn.Linear(hidden_dim, embedding_dim),
                )
                for t in ENTITY_TYPES
            }
        )

    def forward(self, x_dict, edge_index_dict=None) -> dict[str, torch.Tensor]:
        return {t: self.mlp[t](x_dict[t]) for t in ENTITY_TYPES if t in x_dict}
