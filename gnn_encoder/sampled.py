"""Mean-aggregation layers on a sampled subgraph, as training runs them on CPU.

`mean_layer` gives what PyG's ``HeteroConv(aggr="sum")`` over ``SAGEConv(aggr="mean")`` gives
(the same modules' weights; tests/gnn_encoder/test_model.py checks values and gradients against
them) for the destination nodes a trimmed layer keeps, ordering the work for a sampled batch:

- a relation whose sources outnumber its kept destinations (members into titles, skills, jobs)
  is averaged first and projected after, and the relations sharing a source type are averaged
  by one sparse matmul over their CSRs stacked by rows: backward then fills one gradient of the
  source type, not one full-size buffer per relation (six [26K, 128] buffers a step at the
  paper config);
- a relation with fewer sources than destinations (titles, companies, skills, jobs into
  thousands of members) projects its sources first (mean aggregation is linear:
  mean_j(x_j) W = mean_j(x_j W)), and the relations into one destination type are summed by one
  sparse matmul over their CSRs stacked by columns, each entry 1 / the row's degree in its
  relation (a third fewer matmul rows than PyG's order at the paper config).

Biases are added after the aggregation, so a row without neighbours gets the bias alone, as in
SAGEConv. Written here because HeteroConv has no such mode (gnn_encoder.inference orders its
full-graph passes the same way). The sampler emits each relation's edges sorted by destination,
so row pointers are cumulative counts.
"""

from __future__ import annotations

import warnings

import torch
from torch_geometric.nn import HeteroConv

from gnn_encoder.graph import EdgeType

# torch announces CSR's beta status once per process; nothing to act on
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")


def csr_tensor(indptr, indices, values, size) -> torch.Tensor:
    """A CSR tensor from arrays built here (valid by construction: no invariant checks)."""
    return torch.sparse_csr_tensor(indptr, indices, values, size=size, check_invariants=False)


def _row_pointers(rows: torch.Tensor, n_rows: int) -> torch.Tensor:
    crow = torch.zeros(n_rows + 1, dtype=torch.long)
    torch.cumsum(torch.bincount(rows, minlength=n_rows), 0, out=crow[1:])
    return crow


def rows_stacked(parts: list[tuple[torch.Tensor, int]], n_src: int) -> torch.Tensor:
    """CSR [sum of n_dst, n_src] of relations from one source type, one under the other:
    `parts` = (edge_index sorted by destination, n_dst) per relation; values 1."""
    offsets = torch.tensor([0] + [n for _, n in parts]).cumsum(0)
    dst = torch.cat([ei[1] + offsets[i] for i, (ei, _) in enumerate(parts)])
    src = torch.cat([ei[0] for ei, _ in parts])
    n_rows = int(offsets[-1])
    return csr_tensor(_row_pointers(dst, n_rows), src, torch.ones(len(src)), (n_rows, n_src))


def columns_stacked(parts: list[tuple[torch.Tensor, int]], n_dst: int) -> torch.Tensor:
    """CSR [n_dst, sum of n_src] of relations into one destination type, side by side:
    `parts` = (edge_index, n_src) per relation; an edge's value is 1 / its destination's
    degree in its relation, so a sum over a row is the sum of the relations' means."""
    offsets = torch.tensor([0] + [n for _, n in parts]).cumsum(0)
    dst = torch.cat([ei[1] for ei, _ in parts])
    col = torch.cat([ei[0] + offsets[i] for i, (ei, _) in enumerate(parts)])
    val = torch.cat(
        [1.0 / torch.bincount(ei[1], minlength=n_dst).clamp(min=1)[ei[1]] for ei, _ in parts]
    )
    order = torch.argsort(dst, stable=True)
    size = (n_dst, int(offsets[-1]))
    return csr_tensor(_row_pointers(dst, n_dst), col[order], val[order].float(), size)


def mean_layer(
    hetero: HeteroConv,
    h: dict[str, torch.Tensor],
    edges: dict[EdgeType, torch.Tensor],
    n_dst: dict[str, int],
) -> dict[str, torch.Tensor]:
    """HeteroConv(aggr="sum") over SAGEConv(mean) for the first `n_dst[t]` nodes of each
    destination type: `h` holds every source (destinations are their prefix), `edges` each
    relation's destination-sorted edge_index (see the module docstring)."""
    convs = dict(hetero.convs.items())
    by_src: dict[str, list[EdgeType]] = {}
    by_dst: dict[str, list[EdgeType]] = {}
    for e in edges:
        fewer_sources = h[e[0]].shape[0] < n_dst[e[2]]
        (by_dst.setdefault(e[2], []) if fewer_sources else by_src.setdefault(e[0], [])).append(e)
    out: dict[str, torch.Tensor] = {}

    def add(node_type: str, y: torch.Tensor) -> None:
        # in place: every y is a fresh matmul output, whose backward does not read it
        out[node_type] = y if node_type not in out else out[node_type].add_(y)

    for src, rels in by_src.items():
        a = rows_stacked([(edges[e], n_dst[e[2]]) for e in rels], h[src].shape[0])
        means = torch.sparse.mm(a, h[src], "mean").split([n_dst[e[2]] for e in rels])
        for e, mean in zip(rels, means, strict=True):
            lin = convs[e].lin_l
            add(e[2], torch.addmm(lin.bias, mean, lin.weight.t()))
    for dst, rels in by_dst.items():
        a = columns_stacked([(edges[e], h[e[0]].shape[0]) for e in rels], n_dst[dst])
        projected = torch.cat([h[e[0]] @ convs[e].lin_l.weight.t() for e in rels])
        add(dst, torch.sparse.mm(a, projected, "sum") + sum(convs[e].lin_l.bias for e in rels))
    for e in edges:
        if convs[e].root_weight:
            add(e[2], convs[e].lin_r(prefix(h[e[2]], n_dst[e[2]])))
    return out


def prefix(x: torch.Tensor, n: int) -> torch.Tensor:
    """The first `n` rows; `x` itself when that is all of it (a full slice would still cost
    its backward a zero-filled copy of the gradient)."""
    return x if n == x.shape[0] else x[:n]
