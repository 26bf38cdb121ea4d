"""Fixed-fan-out ego-graph form of the encoder: what the ONNX encoders take, and how to build it.

The nearline worker (and anything else that embeds one node at a time) runs
``OUT/gnn/encoder_member.onnx`` / ``encoder_job.onnx`` with onnxruntime. Each takes the 2-hop
ego graph of a batch of target nodes, every neighbour list capped at ``cap`` (the checkpoint's
``neighbour_cap``; stored in the ONNX metadata as ``ego_spec``) and padded with masks:

Input names and shapes (B = batch, dynamic; K = cap, fixed; F_t = feature width of type t):

- ``t_x``: the targets' own features, float32 [B, F_T].
- ``h{i}_x`` / ``h{i}_mask``: hop-1 neighbours through the i-th relation into the target type
  (``ego_slots(...)`` lists them in order; i follows ``graph.relations_into(target_type)``):
  float32 [B, K, F_S] when the source type S is member/job, else int64 [B, K] vocabulary ids;
  mask float32 [B, K] (1 = real neighbour, 0 = padding).
- ``h{i}_{j}_x`` / ``h{i}_{j}_mask``: the hop-1 node's own neighbours through the j-th relation
  into its type: [B, K, K, F] / int64 [B, K, K]; mask [B, K, K].
- output ``embedding``: float32 [B, embedding_dim].

Node identities used by the lookups: members and jobs by their raw int64 id; attribute nodes
(skill, title, company, position) by their vocabulary id from the checkpoint's ``IdMaps``
(0 = out-of-vocabulary). Padding is -1 in neighbour arrays.

To embed nodes: implement :class:`NeighbourLookup` (neighbour ids per relation, most recent
first, capped, padded with -1) and :class:`FeatureLookup` (member/job input features, built with
``gnn_encoder.features.member_features/job_features``), then call :func:`build_ego_inputs` and
feed the dict to the ONNX session. :class:`SnapshotLookup` implements both protocols from a
:class:`~gnn_encoder.graph.SnapshotGraph`; with the same graph and cap the ONNX output equals
``linksage embed``'s value (tests/gnn_encoder/test_onnx_export.py checks <= 1e-4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn
from torch_geometric.nn import GATConv, SAGEConv

from gnn_encoder.graph import ENTITY_TYPES, EdgeType, SnapshotGraph, relations_into
from gnn_encoder.model import LinkSageEncoder


class NeighbourLookup(Protocol):
    def neighbours(self, relation: EdgeType, node_ids: np.ndarray, cap: int) -> np.ndarray:
        """int64 [len(node_ids), cap]: source-node ids of each node's in-neighbours under
        `relation` = (src_type, name, dst_type), most recent first, padded with -1. A node id of
        -1 (padding) or an unknown node has no neighbours."""
        ...


class FeatureLookup(Protocol):
    def features(self, node_type: str, node_ids: np.ndarray) -> np.ndarray:
        """float32 [len(node_ids), F_type] input features of members or jobs (valid ids only)."""
        ...


@dataclass(frozen=True)
class EgoSlot:
    """One ONNX input pair: the nodes reached through `path` (relations from the target)."""

    name: str  # "t", "h0", "h0_3", ...
    node_type: str
    path: tuple[EdgeType, ...]


def ego_slots(target_type: str, skill_nodes: bool = True) -> list[EgoSlot]:
    """The slots of a target type's ego graph, in ONNX input order."""
    slots = [EgoSlot("t", target_type, ())]
    for i, r1 in enumerate(relations_into(target_type, skill_nodes)):
        slots.append(EgoSlot(f"h{i}", r1[0], (r1,)))
        for j, r2 in enumerate(relations_into(r1[0], skill_nodes)):
            slots.append(EgoSlot(f"h{i}_{j}", r2[0], (r1, r2)))
    return slots


def input_names(target_type: str, skill_nodes: bool = True) -> list[str]:
    names = []
    for s in ego_slots(target_type, skill_nodes):
        names.append(f"{s.name}_x")
        if s.path:
            names.append(f"{s.name}_mask")
    return names


def _parent(slot_name: str) -> str:
    """The slot whose nodes' neighbour lists a slot holds ("h0_3" -> "h0", "h0" -> "t")."""
    return slot_name.rsplit("_", 1)[0] if "_" in slot_name else "t"


def _unique_rows(lookup, ids: np.ndarray, *args) -> np.ndarray:
    """`lookup(unique ids, *args)` spread back over `ids` (each distinct node read once)."""
    uniq, inverse = np.unique(ids, return_inverse=True)
    return np.asarray(lookup(*args[:1], uniq, *args[1:]))[inverse.reshape(-1)]


def build_ego_inputs(
    target_type: str,
    target_ids: np.ndarray,
    neighbours: NeighbourLookup,
    features: FeatureLookup,
    cap: int,
    skill_nodes: bool = True,
    *,
    trim: bool = False,
) -> dict[str, np.ndarray]:
    """The ONNX input dict for `target_ids` (raw member or job ids), see the module docstring.

    `trim` cuts each slot's neighbour axis to the widest real list in the batch (>= 1) instead
    of padding it to `cap`: every masked aggregation ignores padding, so the embeddings are the
    same, and padding the trimmed arrays back to `cap` with 0 gives the untrimmed ones.

    Each distinct node's list and features are read once. Built hop by hop; a lookup with a
    `prefetch(lists=, features=)` method (the nearline `GraphState`) is asked for each hop's
    lists, then for all features, in one read each."""
    target_ids = np.asarray(target_ids, dtype=np.int64)
    slots = ego_slots(target_type, skill_nodes)
    prefetch = getattr(neighbours, "prefetch", None)
    ids_at: dict[str, np.ndarray] = {"t": target_ids}
    out: dict[str, np.ndarray] = {}
    for hop in (1, 2):
        level = [s for s in slots if len(s.path) == hop]
        if prefetch is not None:
            prefetch(lists=[(s.path[-1], ids_at[_parent(s.name)]) for s in level])
        for slot in level:
            parent = ids_at[_parent(slot.name)].reshape(-1)
            flat = _unique_rows(neighbours.neighbours, parent, slot.path[-1], cap)
            flat = np.where(parent[:, None] >= 0, flat.astype(np.int64), -1)
            width = cap
            if trim:
                used = np.flatnonzero((flat >= 0).any(axis=0))
                width = int(used[-1]) + 1 if len(used) else 1
            ids = flat[:, :width].reshape(*ids_at[_parent(slot.name)].shape, width)
            ids_at[slot.name] = ids
            out[f"{slot.name}_mask"] = (ids >= 0).astype(np.float32)
    entity_slots = [s for s in slots if s.node_type in ENTITY_TYPES]
    prefetch_features = getattr(features, "prefetch", None)
    if prefetch_features is not None:
        prefetch_features(features=[(s.node_type, ids_at[s.name]) for s in entity_slots])
    for slot in slots:
        ids = ids_at[slot.name]
        if slot.node_type in ENTITY_TYPES:
            valid = ids >= 0
            feats = _unique_rows(features.features, ids[valid], slot.node_type)
            x = np.zeros((*ids.shape, feats.shape[-1] if feats.ndim == 2 else 0), np.float32)
            x[valid] = feats
            out[f"{slot.name}_x"] = x
        else:
            out[f"{slot.name}_x"] = np.maximum(ids, 0).astype(np.int64)
    return {name: out[name] for name in input_names(target_type, skill_nodes)}


class SnapshotLookup:
    """NeighbourLookup + FeatureLookup backed by a snapshot graph (its CSR is recent-first)."""

    def __init__(self, graph: SnapshotGraph):
        self.graph = graph

    def _index(self, node_type: str, ids: np.ndarray) -> np.ndarray:
        if node_type in ENTITY_TYPES:
            return self.graph.index_of(node_type, ids)
        n = self.graph.num_nodes[node_type]
        return np.where((ids >= 0) & (ids < n), ids, -1)

    def _raw(self, node_type: str, index: np.ndarray) -> np.ndarray:
        if node_type == "member":
            return self.graph.member_ids[index]
        if node_type == "job":
            return self.graph.job_ids[index]
        return index

    def neighbours(self, relation: EdgeType, node_ids: np.ndarray, cap: int) -> np.ndarray:
        rel = self.graph.relations[tuple(relation)]
        idx = self._index(relation[2], np.asarray(node_ids, np.int64))
        ok = idx >= 0
        safe = np.where(ok, idx, 0)
        start = rel.indptr[safe]
        deg = np.where(ok, np.minimum(rel.indptr[safe + 1] - start, cap), 0)
        offs = np.arange(cap)
        valid = offs[None, :] < deg[:, None]
        pos = np.where(valid, start[:, None] + offs[None, :], 0)
        src = rel.indices[pos] if rel.num_edges else np.zeros_like(pos)
        return np.where(valid, self._raw(relation[0], src), -1)

    def features(self, node_type: str, node_ids: np.ndarray) -> np.ndarray:
        idx = self.graph.index_of(node_type, np.asarray(node_ids, np.int64))
        if (idx < 0).any():
            raise KeyError(f"{node_type} ids not in the snapshot: {node_ids[idx < 0][:5].tolist()}")
        return self.graph.features[node_type][idx]


def dense_conv(conv: nn.Module, x_src: torch.Tensor, mask: torch.Tensor, x_dst: torch.Tensor):
    """A PyG conv's output for padded neighbours: x_src [..., K, H], mask [..., K], x_dst [..., H].

    Written by hand because PyG layers take graphs, not padded tensors; the weights are the
    layer's own, and the ONNX parity test checks the result equals the PyG layer's."""
    if isinstance(conv, SAGEConv):
        m = mask.unsqueeze(-1)
        mean = (x_src * m).sum(-2) / m.sum(-2).clamp(min=1.0)
        out = conv.lin_l(mean)
        return out + conv.lin_r(x_dst) if conv.root_weight else out
    if isinstance(conv, GATConv):
        src = conv.lin_src(x_src)  # heads = 1
        dst = conv.lin_dst(x_dst)
        a = (src * conv.att_src.view(-1)).sum(-1) + (dst * conv.att_dst.view(-1)).sum(
            -1, keepdim=True
        )
        a = torch.nn.functional.leaky_relu(a, conv.negative_slope)
        a = torch.softmax(a.masked_fill(mask < 0.5, -1e9), dim=-1) * mask
        out = (a.unsqueeze(-1) * src).sum(-2)
        if conv.res is not None:
            out = out + conv.res(x_dst)
        return out + conv.bias if conv.bias is not None else out
    raise TypeError(f"no dense form for {type(conv).__name__}")


class EgoEncoder(nn.Module):
    """The trained encoder evaluated on a padded 2-hop ego graph (inputs in `input_names`)."""

    def __init__(self, encoder: LinkSageEncoder, target_type: str, skill_nodes: bool = True):
        super().__init__()
        self.encoder = encoder
        self.target_type = target_type
        self.slots = ego_slots(target_type, skill_nodes)
        self.names = input_names(target_type, skill_nodes)

    def _x0(self, node_type: str, x: torch.Tensor) -> torch.Tensor:
        enc = self.encoder.inputs
        return (
            enc.linear[node_type](x) if node_type in ENTITY_TYPES else enc.embedding[node_type](x)
        )

    def _with_degrees(self, h: torch.Tensor, node_type: str, masks: dict) -> torch.Tensor:
        """h + the encoder's degree term, the neighbour counts being the masks' sums."""
        term = self.encoder.degree_term(node_type, {e: m.sum(-1) for e, m in masks.items()})
        return h if term is None else h + term

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        given = dict(zip(self.names, tensors, strict=True))
        conv1, conv2 = self.encoder.conv1.convs, self.encoder.conv2.convs
        x0 = {s.name: self._x0(s.node_type, given[f"{s.name}_x"]) for s in self.slots}
        hop1 = [s for s in self.slots if len(s.path) == 1]
        # layer 1 of the target and of every hop-1 node; degree features = the masks' sums
        h1_t = sum(
            dense_conv(conv1[_key(s.path[0])], x0[s.name], given[f"{s.name}_mask"], x0["t"])
            for s in hop1
        )
        h1_t = torch.relu(
            self._with_degrees(
                h1_t, self.target_type, {s.path[0]: given[f"{s.name}_mask"] for s in hop1}
            )
        )
        out = 0
        for s in hop1:
            children = [
                c for c in self.slots if len(c.path) == 2 and c.name.startswith(s.name + "_")
            ]
            h1 = sum(
                dense_conv(conv1[_key(c.path[1])], x0[c.name], given[f"{c.name}_mask"], x0[s.name])
                for c in children
            )
            masks = {c.path[1]: given[f"{c.name}_mask"] for c in children}
            h1 = torch.relu(self._with_degrees(h1, s.node_type, masks))
            out = out + dense_conv(conv2[_key(s.path[0])], h1, given[f"{s.name}_mask"], h1_t)
        return out


def _key(edge_type: EdgeType) -> EdgeType:
    """HeteroConv.s (PyG) ModuleDict accepts edge-type tuples as keys."""
    return edge_type
