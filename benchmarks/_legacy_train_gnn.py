"""The train-gnn step as it was before issue 14 ("Scale"), kept only as the baseline of
benchmarks/train_gnn.py: the single-generator NeighbourSampler, sampling in the training
process, the untrimmed forward (every layer over every sampled node, relations aggregated on
edge_index by HeteroConv), torch's dropout, AdamW without `fused`.

The sampler and the step are copied from gnn_encoder/sampler.py and gnn_encoder/fit.py at commit
9c4c9ba; the encoder's untrimmed forward is still LinkSageEncoder's. Not product code.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from gnn_encoder.decoders import link_loss
from gnn_encoder.graph import MEMBER_JOB_RELATIONS, EdgeType, SnapshotGraph
from gnn_encoder.labels import LinkLabels
from gnn_encoder.model import LinkSageEncoder


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


class LegacyNeighbourSampler:
    """Samples the 2-hop (or `len(fanouts)`-hop) typed neighbourhood of seed nodes.

    `fanouts[h]` is the per-relation fan-out at hop h (hop 0 = the seeds' own neighbours);
    pass a dict {edge_type: [per-hop fanouts]} to set it per relation. `degree_cap` caps the
    reported degrees (the encoder's neighbour_cap; None = uncapped).
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

    def sample(self, seeds: dict, exclude_pairs: tuple | None = None) -> tuple:
        """Sample around `seeds` (global ids per type; local index = first-seen order, so unique
        seeds keep their positions). `exclude_pairs` = (member ids, job ids) whose direct edges
        are dropped from every member<->job relation."""
        nodes: dict[str, list[np.ndarray]] = {t: [] for t in self.graph.num_nodes}
        count = dict.fromkeys(self.graph.num_nodes, 0)
        local = self._local

        def add(node_type: str, ids: np.ndarray) -> np.ndarray:
            """Register ids of a type; return those not seen before, in first-seen order."""
            uniq, first = np.unique(ids, return_index=True)
            uniq = uniq[np.argsort(first, kind="stable")]
            new = uniq[local[node_type][uniq] < 0]
            local[node_type][new] = np.arange(count[node_type], count[node_type] + len(new))
            count[node_type] += len(new)
            nodes[node_type].append(new)
            return new

        frontier = {t: add(t, np.asarray(s, dtype=np.int64)) for t, s in seeds.items()}
        num_seeds = dict(count)
        edges: dict[EdgeType, list] = {et: [] for et in self.graph.relations}
        n_jobs = self.graph.num_nodes["job"]
        excl = None
        if exclude_pairs is not None:
            excl = np.unique(
                np.asarray(exclude_pairs[0], np.int64) * n_jobs
                + np.asarray(exclude_pairs[1], np.int64)
            )
        for hop in range(self.num_hops):
            found: dict[str, list[np.ndarray]] = {}
            for et, rel in self.graph.relations.items():
                src_t, _, dst_t = et
                if dst_t not in frontier or len(frontier[dst_t]) == 0:
                    continue
                rows = frontier[dst_t]
                owner, src = sample_rows(
                    rel.indptr, rel.indices, rows, self._fanout(et, hop), self.rng
                )
                dst = rows[owner]
                if excl is not None and et in MEMBER_JOB_RELATIONS:
                    m, j = (src, dst) if src_t == "member" else (dst, src)
                    keep = ~np.isin(m * n_jobs + j, excl)
                    src, dst = src[keep], dst[keep]
                edges[et].append((src, dst))
                found.setdefault(src_t, []).append(src)
            frontier = {t: add(t, np.concatenate(v)) for t, v in found.items()}
        node_ids = {t: np.concatenate(v) if v else np.zeros(0, np.int64) for t, v in nodes.items()}
        edge_index = {}
        for et, parts in edges.items():
            if parts:
                src = np.concatenate([p[0] for p in parts])
                dst = np.concatenate([p[1] for p in parts])
                edge_index[et] = torch.from_numpy(np.stack([local[et[0]][src], local[et[2]][dst]]))
            else:
                edge_index[et] = torch.zeros((2, 0), dtype=torch.long)
        for t, ids in node_ids.items():  # reset the scratch map for the next batch
            local[t][ids] = -1
        return (
            {t: torch.from_numpy(v) for t, v in node_ids.items()},
            edge_index,
            num_seeds,
            self._degrees(node_ids, excl),
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


class LegacyEncoder(LinkSageEncoder):
    """LinkSageEncoder with torch's dropout (the current encoder draws CPU masks with numpy)."""

    def _drop(self, h: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if not (self.training and self.dropout > 0):
            return h
        return {t: nn.functional.dropout(v, self.dropout, training=True) for t, v in h.items()}


def legacy_train_steps(
    model: torch.nn.Module,
    graph: SnapshotGraph,
    labels: LinkLabels,
    batches: list[np.ndarray],
    *,
    fanouts: tuple[int, ...],
    cap: int,
    learning_rate: float,
    weight_decay: float,
    seed: int = 0,
    phases: dict[str, float] | None = None,
) -> tuple[int, float]:
    """The old train_epoch over `batches` (label indices) on one graph: (pairs, seconds).
    `model`: a LinkModel holding a LegacyEncoder. `phases`, when given, accumulates the seconds
    of sample, gather, forward, backward and optimiser."""
    sampler = LegacyNeighbourSampler(graph, fanouts, seed=seed, degree_cap=cap)
    opt = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    pairs, t0 = 0, time.perf_counter()
    split = dict.fromkeys(("sample", "gather", "forward", "backward", "optimiser"), 0.0)
    for idx in batches:
        ticks = [time.perf_counter()]
        batch = labels.take(idx)
        mu, m_inv = np.unique(batch.member, return_inverse=True)
        ju, j_inv = np.unique(batch.job, return_inverse=True)
        node_ids, ei, _, deg = sampler.sample(
            {"member": mu, "job": ju}, exclude_pairs=(batch.member, batch.job)
        )
        ticks.append(time.perf_counter())
        x = gather_inputs(graph, node_ids)
        ticks.append(time.perf_counter())
        m_inv, j_inv = torch.from_numpy(m_inv), torch.from_numpy(j_inv)
        out = model.encoder(x, ei, deg)  # untrimmed: every layer over every sampled node
        loss = link_loss(
            model.decoder,
            out["member"][m_inv],
            out["job"][j_inv],
            torch.from_numpy(batch.label),
            m_inv,
            j_inv,
        )
        ticks.append(time.perf_counter())
        opt.zero_grad()
        loss.backward()
        ticks.append(time.perf_counter())
        opt.step()
        loss.item()
        ticks.append(time.perf_counter())
        for k, a, b in zip(split, ticks, ticks[1:], strict=False):
            split[k] += b - a
        pairs += len(batch)
    if phases is not None:
        for k, v in split.items():
            phases[k] = phases.get(k, 0.0) + v
    return pairs, time.perf_counter() - t0
