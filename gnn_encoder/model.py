"""The LinkSAGE encoder: a 2-layer heterogeneous GraphSAGE built from PyG layers.

Members and jobs enter through a linear projection of their own features (no per-entity id
embedding, so unseen members and jobs are embedded without retraining); attribute nodes (skill,
title, company, position) through a learned embedding of their vocabulary id. Each layer is a
PyG ``HeteroConv`` that sums one conv per relation: ``SAGEConv`` (aggregation "mean") or
``GATConv`` with a residual root term (aggregation "attention"). The last layer only produces
member and job embeddings. ``NoMessagePassingEncoder`` is the baseline that sees only the node's
own features.

Degree features: mean aggregation (and softmax attention) cannot count neighbours, so a job's
engagement count (its popularity) would be invisible. With ``degree_features`` every node's
layer-1 output also gets ``W_t @ log1p(d)``, where ``d`` holds, per relation into its type, the
length of its capped neighbour list (``min(degree, neighbour_cap)``). The counts come from the
neighbour structure in every path: the capped adjacency's row lengths (layer-wise inference),
the full capped lists minus the batch's supervised pairs (sampled training, never the sample's
size), and the masks' sums (the ONNX ego form), so the inputs of the ego graph are unchanged.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torch_geometric.nn import GATConv, HeteroConv, SAGEConv

from gnn_encoder.graph import ATTRIBUTE_TYPES, ENTITY_TYPES, EdgeType


def make_conv(aggregation: str, in_dim: int, out_dim: int, root: bool = True) -> nn.Module:
    """One relation's conv: SAGEConv(mean) or single-head GATConv, with a root (residual) term
    on the destination's own features when `root`."""
    if aggregation == "mean":
        return SAGEConv((in_dim, in_dim), out_dim, aggr="mean", root_weight=root)
    if aggregation == "attention":
        return GATConv((in_dim, in_dim), out_dim, heads=1, add_self_loops=False, residual=root)
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


def in_degrees(adjacency: dict[EdgeType, torch.Tensor], num_nodes: dict[str, int]) -> dict:
    """{edge_type: int64 [n_dst]} row lengths of sparse CSR adjacencies or edge_index tensors."""
    out = {}
    for et, adj in adjacency.items():
        if adj.layout == torch.sparse_csr:
            out[et] = adj.crow_indices().diff()
        else:
            out[et] = torch.bincount(adj[1], minlength=num_nodes[et[2]])
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
        degree_features: bool = True,
        dropout: float = 0.0,
        shared_root: bool = True,
    ):
        super().__init__()
        self.edge_types = [tuple(e) for e in edge_types]
        self.aggregation = aggregation
        self.dropout = dropout
        # relations into each node type, in edge_types order: the columns of its degree features
        self.degree_relations = {
            t: [e for e in self.edge_types if e[2] == t]
            for t in dict.fromkeys(e[2] for e in self.edge_types)
        }
        self.degree = (
            nn.ModuleDict(
                {
                    t: nn.Linear(len(r), hidden_dim, bias=False)
                    for t, r in self.degree_relations.items()
                }
            )
            if degree_features
            else None
        )
        self.inputs = InputEncoder(
            feature_dims=feature_dims, vocab_sizes=vocab_sizes, hidden_dim=hidden_dim
        )
        # HeteroConv sums the relations' outputs, so one root term per destination type is as
        # expressive as one per relation (a sum of linear maps of x_dst is a linear map) and
        # saves a [n_dst, d] matmul per extra relation: `shared_root` keeps it on the first only
        first = {t: r[0] for t, r in self.degree_relations.items()}

        def root(e: EdgeType) -> bool:
            return not shared_root or first[e[2]] == e

        self.conv1 = HeteroConv(
            {e: make_conv(aggregation, hidden_dim, hidden_dim, root(e)) for e in self.edge_types},
            aggr="sum",
        )
        with warnings.catch_warnings():  # attribute types are not layer-2 destinations: intended
            warnings.simplefilter("ignore", UserWarning)
            self.conv2 = HeteroConv(
                {
                    e: make_conv(aggregation, hidden_dim, embedding_dim, root(e))
                    for e in self.edge_types
                    if e[2] in ENTITY_TYPES
                },
                aggr="sum",
            )

    def degree_term(self, node_type: str, counts: dict) -> torch.Tensor | None:
        """W_t @ log1p(capped in-degree per relation) for nodes of `node_type` ([..., hidden]),
        or None without degree features. `counts` maps each relation into the type to a tensor
        of neighbour-list lengths (any leading shape, the same for every relation)."""
        if self.degree is None:
            return None
        d = torch.stack([counts[e].float() for e in self.degree_relations[node_type]], dim=-1)
        return self.degree[node_type](torch.log1p(d))

    def layer1(
        self, h0: dict[str, torch.Tensor], edge_index_dict, degrees: dict | None = None
    ) -> dict[str, torch.Tensor]:
        """Layer 1 (+ degree term) and ReLU. `degrees` = {edge_type: capped list length per
        destination node}; None derives them from `edge_index_dict` (full, already capped)."""
        if self.degree is not None and degrees is None:
            degrees = in_degrees(edge_index_dict, {t: h.shape[0] for t, h in h0.items()})
        h1 = self.conv1(self._drop(h0), edge_index_dict)
        out = {}
        for t, h in h1.items():
            term = self.degree_term(t, degrees) if self.degree is not None else None
            out[t] = torch.relu(h if term is None else h + term)
        return out

    def layer2(self, h1: dict[str, torch.Tensor], edge_index_dict) -> dict[str, torch.Tensor]:
        return self.conv2(
            self._drop(h1), {e: a for e, a in edge_index_dict.items() if e[2] in ENTITY_TYPES}
        )

    def _drop(self, h: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if not (self.training and self.dropout > 0):
            return h
        return {t: nn.functional.dropout(v, self.dropout, training=True) for t, v in h.items()}

    def forward(self, x_dict, edge_index_dict, degrees: dict | None = None) -> dict:
        """{member, job} embeddings. `degrees`: see `layer1` (sampled batches must pass them)."""
        h0 = self.inputs(x_dict)
        return self.layer2(self.layer1(h0, edge_index_dict, degrees), edge_index_dict)


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

    def forward(self, x_dict, edge_index_dict=None, degrees=None) -> dict[str, torch.Tensor]:
        return {t: self.mlp[t](x_dict[t]) for t in ENTITY_TYPES if t in x_dict}
