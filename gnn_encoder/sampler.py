"""Vectorised multi-hop neighbour sampler over the destination-major CSR relations.

pyg-lib and torch-sparse cannot be installed here, so PyG's NeighborLoader does not work; this
is the hand-written replacement. For each hop, each relation into a frontier node type draws up
to `fanout` distinct in-neighbours per frontier node, uniformly without replacement (Floyd's
algorithm, vectorised over all rows at once: `fanout` rounds of array ops, no per-node Python).
Nodes with degree <= fanout keep all neighbours. The result is a :class:`SampledSubgraph`: global
node ids per type (seeds first, in the given order) and a local `edge_index` per relation,
exactly what PyG's ``HeteroConv`` consumes.

For link prediction, `exclude_pairs` (the batch's supervised member-job pairs) are removed from
every member<->job relation of the subgraph, so no label leaks into its own message passing.

The subgraph also carries each node's degree per relation into its type, taken from its full
neighbour list (minus the excluded pairs) and capped at `degree_cap`, not from the sample: the
encoder's degree features see the same count in training as layer-wise inference and the ONNX
ego form, which cap every list at the most recent `neighbour_cap`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gnn_encoder.graph import MEMBER_JOB_RELATIONS, EdgeType, SnapshotGraph


def sample_rows(
    indptr: np.ndarray,
    indices: np.ndarray,
    rows: np.ndarray,
    fanout: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample up to `fanout` distinct neighbours of each row. Returns (row position in `rows`,
    neighbour index) for every sampled edge, grouped by row.

    Written with numpy: for these small per-relation arrays its ops cost ~10x less than torch's."""
    start = indptr[rows]
    deg = indptr[rows + 1] - start
    take = np.minimum(deg, fanout)
    owner = np.repeat(np.arange(len(rows)), take)
    first = np.cumsum(take) - take
    within = np.arange(len(owner)) - np.repeat(first, take)  # 0..take-1 inside each row
    big = np.flatnonzero(deg > fanout)
    if len(big) and fanout > 0:  # Floyd's uniform k-subset, vectorised across the big rows
        d = deg[big]
        # draw i of every big row is one contiguous row of `chosen` (3x faster duplicate checks
        # than the row-major [rows, fanout] layout)
        chosen = np.empty((fanout, len(big)), np.int64)
        u = rng.random((fanout, len(big)))
        for i in range(fanout):
            j = d - fanout + i
            t = (u[i] * (j + 1)).astype(np.int64)
            np.minimum(t, j, out=t)
            if i:
                np.copyto(t, j, where=(chosen[:i] == t).any(0))
            chosen[i] = t
        within[(first[big][:, None] + np.arange(fanout)[None]).ravel()] = chosen.T.ravel()
    return owner, indices[np.repeat(start, take) + within]


@dataclass
class SampledSubgraph:
    """A sampled mini-batch: global node ids per type and local edges per relation.

    Nodes and edges are stored in hop order, with their counts per hop in PyG's NeighborLoader
    convention (`num_sampled_nodes[t][0]` = seeds, `[h + 1]` = nodes first reached at hop h;
    `num_sampled_edges[et][h]` = edges sampled at hop h), so a layer can be computed for only
    the nodes the next layer reads (`LinkSageEncoder.forward` with the counts)."""

    node_ids: dict[str, torch.Tensor]
    edge_index: dict[EdgeType, torch.Tensor]
    num_seeds: dict[str, int]
    # {edge_type: int64 [n_dst nodes of the subgraph]} full (capped) in-degree, excluded pairs off
    degrees: dict[EdgeType, torch.Tensor] | None = None
    num_sampled_nodes: dict[str, list[int]] | None = None
    num_sampled_edges: dict[EdgeType, list[int]] | None = None


class NeighbourSampler:
    """Samples the 2-hop (or `len(fanouts)`-hop) typed neighbourhood of seed nodes.

    `fanouts[h]` is the per-relation fan-out at hop h (hop 0 = the seeds' own neighbours);
    pass a dict {edge_type: [per-hop fanouts]} to set it per relation. `degree_cap` caps the
    reported degrees (the encoder's neighbour_cap; None = uncapped). `seed` seeds the generator
    `sample` uses when it is given none (training passes one generator per batch, so a batch is
    the same whichever process samples it).
    """

    def __init__(self, graph: SnapshotGraph, fanouts, seed: int = 0, degree_cap: int | None = None):
        self.graph = graph
        self.fanouts = fanouts
        self.degree_cap = degree_cap
        self.rng = np.random.default_rng(seed)
        self._local = {t: np.full(n, -1, dtype=np.int64) for t, n in graph.num_nodes.items()}
        self._pair_keys: dict[EdgeType, np.ndarray] = {}

    def _sorted_pair_keys(self, et: EdgeType) -> np.ndarray:
        """Sorted member * n_jobs + job of every edge of a member<->job relation (cached)."""
        if et not in self._pair_keys:
            rel, n_jobs = self.graph.relations[et], self.graph.num_nodes["job"]
            src, dst = rel.indices.astype(np.int64), rel.rows()
            m, j = (src, dst) if et[0] == "member" else (dst, src)
            self._pair_keys[et] = np.sort(m * n_jobs + j)
        return self._pair_keys[et]

    def _degrees(self, node_ids: dict[str, np.ndarray], excl: np.ndarray | None) -> dict:
        """Per relation, the in-degree of every subgraph node of its destination type (local
        order), without the edges of the excluded pairs, capped at `degree_cap`."""
        n_jobs, out = self.graph.num_nodes["job"], {}
        for et, rel in self.graph.relations.items():
            ids = node_ids[et[2]]
            deg = rel.indptr[ids + 1] - rel.indptr[ids]
            if excl is not None and len(excl) and et in MEMBER_JOB_RELATIONS:
                keys = self._sorted_pair_keys(et)
                hits = np.searchsorted(keys, excl, "right") - np.searchsorted(keys, excl, "left")
                dst = excl // n_jobs if et[2] == "member" else excl % n_jobs
                removed = np.zeros(self.graph.num_nodes[et[2]], np.int64)
                np.add.at(removed, dst, hits)
                deg = deg - removed[ids]
            if self.degree_cap is not None:
                deg = np.minimum(deg, self.degree_cap)
            out[et] = torch.from_numpy(deg.astype(np.int64))
        return out

    def _fanout(self, et: EdgeType, hop: int) -> int:
        f = self.fanouts[et] if isinstance(self.fanouts, dict) else self.fanouts
        return int(f[hop])

    @property
    def num_hops(self) -> int:
        f = self.fanouts
        return len(next(iter(f.values()))) if isinstance(f, dict) else len(f)

    def _hop(self, hop: int, frontier: dict, excl, rng) -> dict[EdgeType, tuple]:
        """(source ids, destination ids) sampled at `hop` per relation into the frontier, the
        excluded pairs' direct edges dropped."""
        n_jobs, out = self.graph.num_nodes["job"], {}
        for et, rel in self.graph.relations.items():
            src_t, _, dst_t = et
            if dst_t not in frontier or len(frontier[dst_t]) == 0:
                continue
            rows = frontier[dst_t]
            owner, src = sample_rows(rel.indptr, rel.indices, rows, self._fanout(et, hop), rng)
            dst = rows[owner]
            if excl is not None and len(excl) and et in MEMBER_JOB_RELATIONS:
                m, j = (src, dst) if src_t == "member" else (dst, src)
                keys = m * n_jobs + j  # `excl` is sorted: a binary search, not np.isin's sort
                keep = excl[np.minimum(np.searchsorted(excl, keys), len(excl) - 1)] != keys
                src, dst = src[keep], dst[keep]
            out[et] = (src, dst)
        return out

    def sample(
        self,
        seeds: dict,
        exclude_pairs: tuple | None = None,
        rng: np.random.Generator | None = None,
    ) -> SampledSubgraph:
        """Sample around `seeds` (global ids per type; local index = first-seen order, so unique
        seeds keep their positions; then each hop's new nodes in id order). `exclude_pairs` = (member ids, job ids) whose direct edges
        are dropped from every member<->job relation. `rng`: the generator to draw with
        (default: the sampler's own)."""
        rng = self.rng if rng is None else rng
        types, local = self.graph.num_nodes, self._local
        nodes: dict[str, list[np.ndarray]] = {t: [] for t in types}
        count = dict.fromkeys(types, 0)

        def add(node_type: str, ids: np.ndarray, first_seen: bool = False) -> np.ndarray:
            """Register ids of a type; return those not seen before, in first-seen order (the
            seeds) or in id order (a hop's nodes: marked in the scratch map and read back with
            one scan, no sort: np.unique's sorts were half the sampling time)."""
            loc = local[node_type]
            if first_seen:
                uniq, first = np.unique(ids, return_index=True)
                new = uniq[np.argsort(first, kind="stable")]
                new = new[loc[new] < 0]
            else:
                loc[ids[loc[ids] < 0]] = -2
                new = np.flatnonzero(loc == -2)
            loc[new] = np.arange(count[node_type], count[node_type] + len(new))
            count[node_type] += len(new)
            nodes[node_type].append(new)
            return new

        frontier = {t: add(t, np.asarray(s, dtype=np.int64), True) for t, s in seeds.items()}
        num_nodes = {t: [count[t]] for t in types}
        edges: dict[EdgeType, list] = {et: [] for et in self.graph.relations}
        num_edges: dict[EdgeType, list[int]] = {et: [] for et in self.graph.relations}
        excl = None
        if exclude_pairs is not None:
            n_jobs = types["job"]
            excl = np.unique(
                np.asarray(exclude_pairs[0], np.int64) * n_jobs
                + np.asarray(exclude_pairs[1], np.int64)
            )
        for hop in range(self.num_hops):
            sampled = self._hop(hop, frontier, excl, rng)
            found: dict[str, list[np.ndarray]] = {}
            for et in edges:
                src, dst = sampled.get(et, (np.zeros(0, np.int64),) * 2)
                edges[et].append((src, dst))
                num_edges[et].append(len(src))
                found.setdefault(et[0], []).append(src)
            before = dict(count)
            frontier = {t: add(t, np.concatenate(v)) for t, v in found.items()}
            for t in types:
                num_nodes[t].append(count[t] - before[t])
        node_ids = {t: np.concatenate(v) if v else np.zeros(0, np.int64) for t, v in nodes.items()}
        edge_index = {
            et: torch.from_numpy(
                np.stack(
                    [
                        local[et[0]][np.concatenate([p[0] for p in parts])],
                        local[et[2]][np.concatenate([p[1] for p in parts])],
                    ]
                )
            )
            for et, parts in edges.items()
        }
        for t, ids in node_ids.items():  # reset the scratch map for the next batch
            local[t][ids] = -1
        return SampledSubgraph(
            {t: torch.from_numpy(v) for t, v in node_ids.items()},
            edge_index,
            {t: c[0] for t, c in num_nodes.items()},
            self._degrees(node_ids, excl),
            num_nodes,
            num_edges,
        )


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
