"""Vectorised multi-hop neighbour sampler over the destination-major CSR relations.

pyg-lib and torch-sparse cannot be installed here, so PyG's NeighborLoader does not work; this
is the hand-written replacement. For each hop, each relation into a frontier node type draws up
to `fanout` distinct in-neighbours per frontier node, uniformly without replacement (Floyd's
algorithm, vectorised over all rows at once: `fanout` rounds of tensor ops, no per-node Python).
Nodes with degree <= fanout keep all neighbours. The result is a :class:`SampledSubgraph`: global
node ids per type (seeds first, in the given order) and a local `edge_index` per relation,
exactly what PyG's ``HeteroConv`` consumes.

For link prediction, `exclude_pairs` (the batch's supervised member-job pairs) are removed from
every member<->job relation of the subgraph, so no label leaks into its own message passing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gnn_encoder.graph import MEMBER_JOB_RELATIONS, EdgeType, SnapshotGraph


def sample_rows(
    indptr: torch.Tensor,
    indices: torch.Tensor,
    rows: torch.Tensor,
    fanout: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample up to `fanout` distinct neighbours of each row. Returns (row position in `rows`,
    neighbour index) for every sampled edge."""
    start = indptr[rows]
    deg = indptr[rows + 1] - start
    take_all = deg <= fanout
    # rows with few neighbours: take every entry (ragged arange via repeat_interleave)
    all_pos = take_all.nonzero().flatten()
    counts = deg[all_pos]
    total = int(counts.sum())
    owner_all = torch.repeat_interleave(all_pos, counts)
    first = torch.cumsum(counts, 0) - counts
    within = torch.arange(total) - torch.repeat_interleave(first, counts)
    entry_all = torch.repeat_interleave(start[all_pos], counts) + within
    # rows with many neighbours: Floyd's uniform k-subset, vectorised across rows
    big = (~take_all).nonzero().flatten()
    if len(big) and fanout > 0:
        d = deg[big]
        chosen = torch.empty((len(big), fanout), dtype=torch.long)
        for i in range(fanout):
            j = d - fanout + i
            t = (torch.rand(len(big), generator=generator, dtype=torch.float64) * (j + 1)).long()
            t = torch.minimum(t, j)
            dup = (chosen[:, :i] == t[:, None]).any(1)
            chosen[:, i] = torch.where(dup, j, t)
        owner_big = big.repeat_interleave(fanout)
        entry_big = (start[big][:, None] + chosen).flatten()
    else:
        owner_big = entry_big = torch.zeros(0, dtype=torch.long)
    owner = torch.cat([owner_all, owner_big])
    return owner, indices[torch.cat([entry_all, entry_big])]


@dataclass
class SampledSubgraph:
    """A sampled mini-batch: global node ids per type and local edges per relation."""

    node_ids: dict[str, torch.Tensor]
    edge_index: dict[EdgeType, torch.Tensor]
    num_seeds: dict[str, int]


class NeighbourSampler:
    """Samples the 2-hop (or `len(fanouts)`-hop) typed neighbourhood of seed nodes.

    `fanouts[h]` is the per-relation fan-out at hop h (hop 0 = the seeds' own neighbours);
    pass a dict {edge_type: [per-hop fanouts]} to set it per relation.
    """

    def __init__(self, graph: SnapshotGraph, fanouts, seed: int = 0):
        self.graph = graph
        self.fanouts = fanouts
        self.generator = torch.Generator().manual_seed(seed)
        self.csr = {
            et: (torch.from_numpy(r.indptr), torch.from_numpy(r.indices))
            for et, r in graph.relations.items()
        }
        self._local = {
            t: torch.full((n,), -1, dtype=torch.long) for t, n in graph.num_nodes.items()
        }

    def _fanout(self, et: EdgeType, hop: int) -> int:
        f = self.fanouts[et] if isinstance(self.fanouts, dict) else self.fanouts
        return int(f[hop])

    @property
    def num_hops(self) -> int:
        f = self.fanouts
        return len(next(iter(f.values()))) if isinstance(f, dict) else len(f)

    def sample(
        self,
        seeds: dict[str, torch.Tensor],
        exclude_pairs: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> SampledSubgraph:
        """Sample around `seeds` (global ids per type, duplicates allowed; order kept for the
        unique ids). `exclude_pairs` = (member ids, job ids) whose direct edges are dropped."""
        nodes: dict[str, list[torch.Tensor]] = {t: [] for t in self.graph.num_nodes}
        count = dict.fromkeys(self.graph.num_nodes, 0)
        local = self._local

        def add(node_type: str, ids: torch.Tensor) -> torch.Tensor:
            """Register ids of a type, return those not seen before (in first-seen order)."""
            uniq, inv = torch.unique(ids, return_inverse=True)
            first = torch.full((len(uniq),), len(ids), dtype=torch.long)
            first.scatter_reduce_(0, inv, torch.arange(len(ids)), reduce="amin")
            uniq = uniq[torch.argsort(first)]
            new = uniq[local[node_type][uniq] < 0]
            local[node_type][new] = torch.arange(count[node_type], count[node_type] + len(new))
            count[node_type] += len(new)
            nodes[node_type].append(new)
            return new

        frontier = {t: add(t, s.long()) for t, s in seeds.items()}
        num_seeds = dict(count)
        edges: dict[EdgeType, list[tuple[torch.Tensor, torch.Tensor]]] = {
            et: [] for et in self.graph.relations
        }
        n_jobs = self.graph.num_nodes["job"]
        excl_keys = None
        if exclude_pairs is not None:
            excl_keys = exclude_pairs[0].long() * n_jobs + exclude_pairs[1].long()
        for hop in range(self.num_hops):
            found: dict[str, list[torch.Tensor]] = {}
            for et, (indptr, indices) in self.csr.items():
                src_t, _, dst_t = et
                if dst_t not in frontier or len(frontier[dst_t]) == 0:
                    continue
                rows = frontier[dst_t]
                owner, src = sample_rows(
                    indptr, indices, rows, self._fanout(et, hop), self.generator
                )
                dst = rows[owner]
                if excl_keys is not None and et in MEMBER_JOB_RELATIONS:
                    m, j = (src, dst) if src_t == "member" else (dst, src)
                    keep = ~torch.isin(m * n_jobs + j, excl_keys)
                    src, dst = src[keep], dst[keep]
                edges[et].append((src, dst))
                found.setdefault(src_t, []).append(src)
            frontier = {t: add(t, torch.cat(v)) for t, v in found.items()}
        node_ids = {
            t: torch.cat(v) if v else torch.zeros(0, dtype=torch.long) for t, v in nodes.items()
        }
        edge_index = {}
        for et, parts in edges.items():
            if parts:
                src = torch.cat([p[0] for p in parts])
                dst = torch.cat([p[1] for p in parts])
                edge_index[et] = torch.stack([local[et[0]][src], local[et[2]][dst]])
            else:
                edge_index[et] = torch.zeros((2, 0), dtype=torch.long)
        for t, ids in node_ids.items():  # reset the scratch map for the next batch
            local[t][ids] = -1
        return SampledSubgraph(node_ids, edge_index, num_seeds)


def gather_inputs(
    graph: SnapshotGraph, node_ids: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Model inputs for sampled nodes: float features for member/job, vocabulary ids otherwise."""
    out = {}
    for t, ids in node_ids.items():
        if t in graph.features:
            out[t] = torch.from_numpy(graph.features[t][ids.numpy()])
        else:
            out[t] = ids
    return out


def full_inputs(graph: SnapshotGraph) -> dict[str, torch.Tensor]:
    """Model inputs for every node of the graph."""
    ids = {t: torch.arange(n) for t, n in graph.num_nodes.items()}
    return gather_inputs(graph, ids)


def python_loop_sample(
    indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray, fanout: int, rng: np.random.Generator
):
    """Reference per-node Python sampler (benchmark baseline and test oracle)."""
    owner, out = [], []
    for pos, r in enumerate(rows):
        nb = indices[indptr[r] : indptr[r + 1]]
        pick = nb if len(nb) <= fanout else rng.choice(nb, fanout, replace=False)
        owner.extend([pos] * len(pick))
        out.extend(pick.tolist())
    return np.asarray(owner, np.int64), np.asarray(out, np.int64)
