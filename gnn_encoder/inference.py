"""Layer-wise full-neighbourhood inference with the frozen encoder.

Instead of sampling an ego graph per node, every layer is computed once for all nodes of the
snapshot: h0 = inputs, h1 = layer 1 over every relation, then the member/job outputs of layer 2.
Each neighbour list is first capped at its `cap` most recent entries (deterministic), so a node's
embedding equals what the ONNX ego-graph encoder (gnn_encoder.ego) gives for the same lists.

Layouts:
- ``"sparse"`` passes each relation to the PyG layer as a transposed ``torch.sparse_csr``
  adjacency (rows = targets; the CSR is built without duplicate pairs), which SAGEConv aggregates
  with one sparse matmul;
- ``"edge_index"`` passes the same edges to the same layers as COO edge_index (gather + scatter);
- ``"fused"`` (the default for mean aggregation) uses the same CSR adjacencies and the same
  SAGEConv weights, but orders the arithmetic for a full pass (see `_fused_mean_layer`): the
  layers' dense transforms, not the aggregation, are most of a full pass (benchmarks/inference.py
  prints the split), and HeteroConv applies every relation's transform on the destination side.
Attention (GATConv) needs per-edge scores and always uses edge_index. Degree features (see
gnn_encoder.model) are the capped adjacency's row lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch_geometric.nn import SAGEConv
from torch_geometric.utils import spmm

from gnn_encoder.graph import EdgeType, SnapshotGraph
from gnn_encoder.model import LinkSageEncoder, NoMessagePassingEncoder, in_degrees
from gnn_encoder.sampled import csr_tensor
from gnn_encoder.sampler import full_inputs

LAYOUTS = ("fused", "sparse", "edge_index")


def adjacency(graph: SnapshotGraph, layout: str = "sparse") -> dict[EdgeType, torch.Tensor]:
    """Every relation of `graph` as a transposed sparse CSR adjacency (layout "sparse") or as
    edge_index."""
    out = {}
    for et, rel in graph.relations.items():
        n_dst, n_src = graph.num_nodes[et[2]], graph.num_nodes[et[0]]
        if layout == "sparse":
            out[et] = csr_tensor(
                torch.from_numpy(rel.indptr),
                torch.from_numpy(rel.indices),
                torch.ones(rel.num_edges),
                size=(n_dst, n_src),
            )
        elif layout == "edge_index":
            out[et] = torch.stack([torch.from_numpy(rel.indices), torch.from_numpy(rel.rows())])
        else:
            raise ValueError(f"layout must be 'sparse' or 'edge_index', got {layout!r}")
    return out


def _summed_layer(hetero_conv, x: dict, adj: dict) -> dict[str, torch.Tensor]:
    """HeteroConv(aggr="sum") evaluated relation by relation with an in-place running sum:
    the same PyG layers and result, without HeteroConv's stack of one [n_dst, d] tensor per
    relation (which dominated peak memory at 1M members)."""
    out: dict[str, torch.Tensor] = {}
    for et, conv in hetero_conv.convs.items():
        src, _, dst = et
        h = conv(x[src] if src == dst else (x[src], x[dst]), adj[et])
        if dst in out:
            out[dst].add_(h)
        else:
            out[dst] = h
        del h
    return out


def _fusable(hetero_conv) -> bool:
    return all(
        isinstance(c, SAGEConv) and c.aggr == "mean" and not c.project and not c.normalize
        for c in hetero_conv.convs.values()
    )


@dataclass
class FusedAdjacency:
    """A snapshot's relations arranged for `_fused_mean_layer`.

    - ``stacked[dst] = (relations, csr)``: the relations into `dst` whose source type has fewer
      nodes than `dst` has rows with a neighbour, side by side in one row-normalised CSR
      [n_dst, sum of their n_src] (values 1/degree within the relation), so that one
      sum-spmm over their sources' stacked, projected features gives the sum of their means;
    - ``post[relation] = (csr, rows)``: every other relation as a CSR over only the
      destination rows that have a neighbour (`rows` their ids; None when that is every row)."""

    stacked: dict[str, tuple[list[EdgeType], torch.Tensor]]
    post: dict[EdgeType, tuple[torch.Tensor, torch.Tensor | None]]

    def to(self, device: str | torch.device) -> FusedAdjacency:
        return FusedAdjacency(
            {t: (r, a.to(device)) for t, (r, a) in self.stacked.items()},
            {
                e: (a.to(device), None if r is None else r.to(device))
                for e, (a, r) in self.post.items()
            },
        )


def fused_adjacency(graph: SnapshotGraph, relations: list[EdgeType]) -> FusedAdjacency:
    """Arrange `relations` of `graph` for the fused layer (see FusedAdjacency); numpy, no loop
    over edges or nodes."""
    by_dst: dict[str, list[EdgeType]] = {}
    post = {}
    for et in relations:
        rel, n_src = graph.relations[et], graph.num_nodes[et[0]]
        deg = rel.degrees()
        with_neighbours = np.flatnonzero(deg)
        if len(with_neighbours) == 0:
            continue  # contributes only its bias
        if n_src < len(with_neighbours):
            by_dst.setdefault(et[2], []).append(et)
            continue
        full = len(with_neighbours) == len(deg)
        indptr = rel.indptr if full else np.concatenate([[0], np.cumsum(deg[with_neighbours])])
        post[et] = (
            csr_tensor(
                torch.from_numpy(np.asarray(indptr, dtype=np.int64)),
                torch.from_numpy(np.asarray(rel.indices, dtype=np.int64)),
                torch.ones(rel.num_edges),
                size=(len(with_neighbours), n_src),
            ),
            None if full else torch.from_numpy(with_neighbours.astype(np.int64)),
        )
    stacked = {}
    for dst, rels in by_dst.items():
        # row i of the stacked CSR = row i of each relation in turn: every edge's position is
        # computed from the per-relation degrees (O(E), no sort)
        degrees = np.stack([graph.relations[et].degrees() for et in rels])  # [R, n_dst]
        indptr = np.zeros(graph.num_nodes[dst] + 1, dtype=np.int64)
        np.cumsum(degrees.sum(axis=0), out=indptr[1:])
        before = np.cumsum(degrees, axis=0) - degrees  # entries of earlier relations in the row
        cols = np.empty(indptr[-1], dtype=np.int64)
        vals = np.empty(indptr[-1], dtype=np.float32)
        offset = 0
        for r, et in enumerate(rels):
            rel, deg = graph.relations[et], degrees[r]
            start = indptr[:-1] + before[r]
            pos = np.repeat(start - rel.indptr[:-1], deg) + np.arange(rel.num_edges)
            cols[pos] = rel.indices + offset
            vals[pos] = np.repeat(1.0 / np.maximum(deg, 1), deg)
            offset += graph.num_nodes[et[0]]
        stacked[dst] = (
            rels,
            csr_tensor(
                torch.from_numpy(indptr),
                torch.from_numpy(cols),
                torch.from_numpy(vals),
                size=(graph.num_nodes[dst], offset),
            ),
        )
    return FusedAdjacency(stacked, post)


def _sum_spmm(a: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    # the reduce= kernel is CPU-only and there ~2x faster than the plain CSR @ dense product
    return torch.sparse.mm(a, x) if a.is_cuda else torch.sparse.mm(a, x, "sum")


@dataclass
class LinearInput:
    """Node inputs ``features @ weight.T + bias`` (the encoder's input Linear of members and
    jobs), left uncomputed: every use in layer 1 is itself a linear map (a root transform, a
    projection, a mean over neighbours), so the fused layer folds `weight` into that map and
    never materialises the hidden inputs (one [n_members, d] matmul less per pass)."""

    features: torch.Tensor
    weight: torch.Tensor
    bias: torch.Tensor


def _composed(x: torch.Tensor | LinearInput, weight: torch.Tensor):
    """(input matrix, transposed weight, constant row or None) such that ``x @ weight.T`` =
    ``input @ w_t + constant``."""
    if isinstance(x, LinearInput):
        return x.features, (weight @ x.weight).t(), weight @ x.bias
    return x, weight.t(), None


def _fused_mean_layer(hetero_conv, x: dict, fused: FusedAdjacency) -> dict[str, torch.Tensor]:
    """The result of HeteroConv(aggr="sum") over SAGEConv(mean) layers on CSR adjacencies,
    with the same weights, computed in the cheaper order. Per relation, SAGEConv computes
    ``lin_l(mean_j x_j) + lin_r(x_i)``; mean aggregation is linear, so ``mean_j(x_j) W`` =
    ``mean_j(x_j W)``, and the transform is applied on the side with fewer rows: relations
    whose sources are fewer (titles, skills, jobs into members) project their sources and are
    aggregated together by one spmm (``fused.stacked``); the others are aggregated over the
    destination rows that have neighbours by PyG's ``spmm(reduce="mean")`` (the kernel
    SAGEConv calls on CSR) and projected after (``fused.post``). Every destination's sum is
    accumulated in place, so no per-relation [n_dst, d] output is kept. Inputs may be
    `LinearInput`s (see there). Written here because HeteroConv has no such mode."""
    convs = dict(hetero_conv.convs.items())
    out: dict[str, torch.Tensor] = {}
    for dst in dict.fromkeys(e[2] for e in convs):
        rels = [e for e in convs if e[2] == dst]
        x_dst = x[dst]
        n_dst = (x_dst.features if isinstance(x_dst, LinearInput) else x_dst).shape[0]
        # constant rows: every lin_l bias, and the input bias carried through a root transform
        # or a projection after a mean over rows that all have neighbours
        terms = []  # (kind, relation, input, transposed weight, constant row or None)
        bias = sum(convs[e].lin_l.bias for e in rels)
        for e in rels:
            if e in fused.post:
                inp, w_t, const = _composed(x[e[0]], convs[e].lin_l.weight)
                terms.append(("post", e, inp, w_t, const))
                if const is not None and fused.post[e][1] is None:
                    bias = bias + const
            if convs[e].root_weight:
                inp, w_t, const = _composed(x_dst, convs[e].lin_r.weight)
                terms.append(("root", e, inp, w_t, None))
                if const is not None:
                    bias = bias + const
        pre, a_stack = fused.stacked.get(dst, ([], None))
        if pre:
            d_out = convs[pre[0]].lin_l.weight.shape[0]
            xs = torch.empty(a_stack.shape[1], d_out, dtype=bias.dtype, device=bias.device)
            lo = 0
            for e in pre:
                inp, w_t, const = _composed(x[e[0]], convs[e].lin_l.weight)
                hi = lo + inp.shape[0]
                if const is None:
                    torch.mm(inp, w_t, out=xs[lo:hi])
                else:  # the constant goes through the mean: rows without neighbours stay 0
                    torch.addmm(const, inp, w_t, out=xs[lo:hi])
                lo = hi
            acc = _sum_spmm(a_stack, xs)
            del xs
            acc.add_(bias)
        else:
            acc = bias.expand(n_dst, -1).clone()
        for kind, e, inp, w_t, const in terms:
            if kind == "root":
                acc.addmm_(inp, w_t)
                continue
            a, rows = fused.post[e]
            agg = spmm(a, inp, reduce="mean")
            if rows is None:
                acc.addmm_(agg, w_t)  # its constant is in `bias`
            else:
                acc.index_add_(
                    0, rows, agg @ w_t if const is None else torch.addmm(const, agg, w_t)
                )
        out[dst] = acc
    return out


@torch.no_grad()
def embed_graph(
    encoder: torch.nn.Module,
    graph: SnapshotGraph,
    *,
    cap: int | None = 50,
    layout: str = "fused",
    device: str | torch.device = "cpu",
) -> dict[str, np.ndarray]:
    """Embeddings {member: [n_members, D], job: [n_jobs, D]} (float32) of every member and job
    node of `graph`, from neighbour lists capped at `cap` (None = all). `layout`: one of
    LAYOUTS (the module docstring); all give the same embeddings up to float rounding."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if encoder.training:
        encoder.eval()
    first = next(encoder.parameters(), None)
    if first is not None and first.device != torch.device(device):
        encoder.to(device)  # Module.to walks every submodule: skipped when already there
    x = {t: v.to(device) for t, v in full_inputs(graph).items()}
    if isinstance(encoder, NoMessagePassingEncoder):
        out = encoder(x)
    else:
        if isinstance(encoder, LinkSageEncoder) and encoder.aggregation == "attention":
            layout = "edge_index"
        if layout == "fused" and not (_fusable(encoder.conv1) and _fusable(encoder.conv2)):
            layout = "sparse"
        g = graph.capped(cap) if cap is not None else graph
        if layout == "fused":
            relations = [e for e, _ in encoder.conv1.convs.items()]
            fused = fused_adjacency(g, relations).to(device)
            linear = encoder.inputs.linear
            h0 = {
                t: LinearInput(v, linear[t].weight, linear[t].bias)
                if t in linear
                else encoder.inputs.embedding[t](v)
                for t, v in x.items()
            }
            degrees = {e: torch.from_numpy(r.degrees()).to(device) for e, r in g.relations.items()}

            def layer(hetero_conv, h):
                return _fused_mean_layer(hetero_conv, h, fused)

        else:
            adj = {k: v.to(device) for k, v in adjacency(g, layout).items()}
            h0 = encoder.inputs(x)
            degrees = in_degrees(adj, g.num_nodes)

            def layer(hetero_conv, h):
                return _summed_layer(hetero_conv, h, adj)

        h1 = layer(encoder.conv1, h0)
        del h0
        for t, h in h1.items():  # degrees: the capped list lengths
            term = encoder.degree_term(t, degrees)
            if term is not None:
                h.add_(term)
            torch.relu_(h)
        out = layer(encoder.conv2, h1)
    return {t: out[t].float().cpu().numpy() for t in ("member", "job")}
