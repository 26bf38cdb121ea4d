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

import numpy as np
import torch
from torch import nn
from torch_geometric.nn import GATConv, HeteroConv, SAGEConv

from gnn_encoder.graph import ATTRIBUTE_TYPES, ENTITY_TYPES, EdgeType
from gnn_encoder.sampled import mean_layer, prefix
from linksage.config import GnnParams

_GNN = GnnParams()  # the defaults live once, in the config


def make_conv(aggregation: str, in_dim: int, out_dim: int, root: bool = True) -> nn.Module:
    """One relation's conv: SAGEConv(mean) or single-head GATConv, with a root (residual) term
    on the destination's own features when `root`."""
    if aggregation == "mean":
        return SAGEConv((in_dim, in_dim), out_dim, aggr="mean", root_weight=root)
    if aggregation == "attention":
        return GATConv((in_dim, in_dim), out_dim, heads=1, add_self_loops=False, residual=root)
    raise ValueError(f"gnn.aggregation must be 'mean' or 'attention', got {aggregation!r}")


def dropout(x: torch.Tensor, p: float) -> torch.Tensor:
    """Inverted dropout (training mode) of rate `p`.

    On CPU the keep-mask comes from numpy: raw PCG64 output read as 16-bit integers compared
    with a threshold, then scaled, ~1 ns an element, where torch's `bernoulli_` (MT19937) costs
    ~15 ns an element on CPU and was a fifth of a training step at the paper config. The
    generator is seeded from torch's, so `torch.manual_seed` still fixes the masks; the keep
    probability is rounded to 1/65536. On CUDA, torch's own dropout."""
    if x.is_cuda or x.numel() == 0:
        return nn.functional.dropout(x, p, training=True)
    keep = max(round((1.0 - p) * 65536), 1)
    rng = np.random.default_rng(int(torch.randint(2**62, (1,))))
    bits = rng.bit_generator.random_raw((x.numel() + 3) // 4).view(np.uint16)[: x.numel()]
    mask = np.multiply(bits < keep, np.float32(65536 / keep), dtype=np.float32)
    return x * torch.from_numpy(mask.reshape(x.shape))


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

    def forward(
        self, x_dict: dict[str, torch.Tensor], rows: dict[str, torch.Tensor] | None = None
    ) -> dict[str, torch.Tensor]:
        """Hidden inputs per node type. With `rows[t]`, `x_dict[t]` holds distinct feature rows
        and node i's are row `rows[t][i]`: the Linear runs once per distinct row (a batch's
        26K members share ~3K rows at the paper config)."""
        out = {}
        for t, x in x_dict.items():
            out[t] = self.linear[t](x) if t in self.linear else self.embedding[t](x)
            if rows is not None and t in rows:  # index_select: its backward is index_add_
                out[t] = out[t].index_select(0, rows[t])
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
        hidden_dim: int = _GNN.hidden_dim,
        embedding_dim: int = _GNN.embedding_dim,
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
        return {t: dropout(v, self.dropout) for t, v in h.items()}

    def forward(
        self,
        x_dict,
        edge_index_dict,
        degrees: dict | None = None,
        num_sampled_nodes: dict[str, list[int]] | None = None,
        num_sampled_edges: dict[EdgeType, list[int]] | None = None,
        input_rows: dict[str, torch.Tensor] | None = None,
    ) -> dict:
        """{member, job} embeddings. `degrees`: see `layer1` (sampled batches must pass them).

        With a sampled subgraph's per-hop counts (`SampledSubgraph.num_sampled_nodes/edges`)
        only the seeds' embeddings are returned, each layer computed for just the nodes the next
        one reads (see `_trimmed_forward`); without them, every node's. `input_rows`: see
        `InputEncoder.forward`."""
        h0 = self.inputs(x_dict, input_rows)
        if num_sampled_nodes is not None and num_sampled_edges is not None:
            return self._trimmed_forward(
                h0, edge_index_dict, degrees, num_sampled_nodes, num_sampled_edges
            )
        return self.layer2(self.layer1(h0, edge_index_dict, degrees), edge_index_dict)

    def _trimmed_forward(self, h0, edge_index_dict, degrees, num_nodes, num_edges) -> dict:
        """The seeds' embeddings of a hop-ordered sampled subgraph. Layer l (0-based, of L)
        outputs only the nodes within L-1-l hops of the seeds and reads only the edges sampled
        at those hops: layer 1 skips the outermost hop's nodes (they only send messages), layer
        2 computes the seeds alone. The seeds' embeddings equal the untrimmed forward's (a
        node's in-edges all come from the hop after its own). PyG's `trim_to_layer` trims the
        same way but keeps every earlier hop's nodes as destinations, so here each conv gets an
        (all sources, kept destinations) pair through HeteroConv's per-edge-type inputs (or
        `gnn_encoder.sampled.mean_layer`, for mean aggregation on CPU)."""
        if degrees is None:
            raise ValueError("a trimmed (sampled) forward needs the sampler's degrees")
        h, layers = h0, (self.conv1, self.conv2)
        for layer, conv in enumerate(layers):
            hops = len(layers) - 1 - layer  # the outermost hop whose nodes this layer outputs
            n_src = {t: sum(c[: hops + 2]) for t, c in num_nodes.items()}
            n_dst = {t: sum(c[: hops + 1]) for t, c in num_nodes.items()}
            h = self._drop({t: prefix(v, n_src[t]) for t, v in h.items()})
            edges = {
                e: edge_index_dict[e][:, : sum(num_edges[e][: hops + 1])]
                for e, _ in conv.convs.items()  # (iterating it gives string keys)
                if e[0] in h and e[2] in h
            }
            if self.aggregation == "mean" and not next(iter(h.values())).is_cuda:
                h = mean_layer(conv, h, edges, n_dst)
            else:  # attention, or CUDA (no CSR mean kernel): PyG's layers on edge_index
                h = conv({e: (h[e[0]], h[e[2]][: n_dst[e[2]]]) for e in edges}, edges)
            if layer == 0:
                h = {
                    t: torch.relu(self._plus_degrees(v, t, degrees, n_dst[t])) for t, v in h.items()
                }
        return h

    def _plus_degrees(self, h: torch.Tensor, node_type: str, degrees: dict, n: int):
        """h + the degree term of the first `n` subgraph nodes of `node_type`."""
        if self.degree is None:
            return h
        return h + self.degree_term(
            node_type, {e: degrees[e][:n] for e in self.degree_relations[node_type]}
        )


class NoMessagePassingEncoder(nn.Module):
    """Baseline: the same inputs, an MLP on the node's own features, no neighbours."""

    def __init__(
        self,
        *,
        feature_dims: dict[str, int],
        hidden_dim: int = _GNN.hidden_dim,
        embedding_dim: int = _GNN.embedding_dim,
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

    def forward(self, x_dict, edge_index_dict=None, degrees=None, *_, **__) -> dict:
        """{member, job} embeddings of the given nodes (neighbour arguments are ignored)."""
        return {t: self.mlp[t](x_dict[t]) for t in ENTITY_TYPES if t in x_dict}
