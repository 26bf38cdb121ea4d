"""Training batches: labelled pairs -> model inputs, prepared by a torch DataLoader.

Each batch is a :class:`BatchKey` (which training slice, which label rows, the seed of its own
random generator) turned by :class:`LinkBatches` into a :class:`LinkBatch`: the pairs' sampled
2-hop subgraph (`gnn_encoder.sampler`; PyG's NeighborLoader needs pyg-lib or torch-sparse,
which cannot be installed here), its nodes' input features, and the pair indices and labels.
Without message passing (the baseline) the batch holds the pairs' own features only.

The DataLoader's worker processes (`workers` > 0) prepare the next batches while the model
trains on this one. A batch's randomness comes from its key alone, so worker and in-process
loading give the same batches. On CUDA, batches come out of pinned memory and are copied with
`non_blocking=True`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from gnn_encoder.graph import EdgeType, SnapshotGraph
from gnn_encoder.labels import LinkLabels
from gnn_encoder.sampler import NeighbourSampler


@dataclass(frozen=True)
class BatchKey:
    """One batch to prepare: label rows `rows` of training slice `slice`, sampled with a
    generator seeded by `seed` (entropy for numpy's SeedSequence)."""

    slice: int
    rows: np.ndarray
    seed: tuple[int, ...]


def _apply(value, fn):
    """`fn` applied to a tensor or to every tensor of a dict; other values are kept."""
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, dict):
        return {k: _apply(v, fn) for k, v in value.items()}
    return value


@dataclass
class LinkBatch:
    """A training step's inputs: node features `x` (seeds first; with `x_rows[t]`, `x[t]` holds
    distinct feature rows and `x_rows[t]` each node's row), and for message passing the
    subgraph's `edge_index`, `degrees` and per-hop counts (see `SampledSubgraph`); the pairs'
    seed positions `member_index`/`job_index` and their `labels`."""

    x: dict[str, torch.Tensor]
    member_index: torch.Tensor
    job_index: torch.Tensor
    labels: torch.Tensor
    x_rows: dict[str, torch.Tensor] | None = None  # see InputEncoder.forward
    edge_index: dict[EdgeType, torch.Tensor] | None = None
    degrees: dict[EdgeType, torch.Tensor] | None = None
    num_sampled_nodes: dict[str, list[int]] | None = None
    num_sampled_edges: dict[EdgeType, list[int]] | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def __reduce__(self):
        # crossing a process boundary (from a loader worker) every tensor costs a shared-memory
        # handle on both sides (~0.25 ms each, ~50 tensors a batch): send one flat tensor per
        # dtype instead and rebuild the fields as views of them
        return _unpack, _pack(self)

    def _map(self, fn) -> LinkBatch:
        return replace(self, **{f.name: _apply(getattr(self, f.name), fn) for f in fields(self)})

    def pin_memory(self) -> LinkBatch:
        """The batch in page-locked memory (the DataLoader calls this when pin_memory=True)."""
        return self._map(torch.Tensor.pin_memory)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> LinkBatch:
        """The batch on `device` (itself when already there)."""
        device = torch.device(device)
        if self.labels.device == device:
            return self
        return self._map(lambda t: t.to(device, non_blocking=non_blocking))


def _pack(batch: LinkBatch) -> tuple[dict, list, dict]:
    """(one flat tensor per dtype, where each tensor lies in them, the non-tensor fields)."""
    layout, parts, rest = [], {}, {}
    for f in fields(batch):
        value = getattr(batch, f.name)
        if isinstance(value, torch.Tensor):
            value, key = {None: value}, None
        elif not (
            isinstance(value, dict)
            and value
            and isinstance(next(iter(value.values())), torch.Tensor)
        ):
            rest[f.name] = value
            continue
        for key, t in value.items():
            layout.append((f.name, key, t.dtype, tuple(t.shape)))
            parts.setdefault(t.dtype, []).append(t.reshape(-1))
    flat = {dtype: torch.cat(ts) for dtype, ts in parts.items()}
    return flat, layout, rest


def _unpack(flat: dict, layout: list, rest: dict) -> LinkBatch:
    """The LinkBatch `_pack` took apart (its tensors are views of `flat`)."""
    offset = dict.fromkeys(flat, 0)
    values: dict = dict(rest)
    for name, key, dtype, shape in layout:
        n = int(np.prod(shape))
        t = flat[dtype][offset[dtype] : offset[dtype] + n].view(shape)
        offset[dtype] += n
        if key is None:
            values[name] = t
        else:
            values.setdefault(name, {})[key] = t
    return LinkBatch(**values)


def distinct_rows(features: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    """(the distinct rows of a feature matrix, each row's index among them): member and job
    features are a few one-hot attributes, so 96K members have ~3K distinct rows."""
    features = np.ascontiguousarray(features)
    as_bytes = features.view(np.dtype((np.void, features.shape[1] * features.itemsize)))
    _, first, row_of = np.unique(as_bytes.ravel(), return_index=True, return_inverse=True)
    return torch.from_numpy(features[first]), row_of.astype(np.int64)


class LinkBatches(Dataset):
    """Map-style dataset from BatchKey to LinkBatch over the training slices. `fanouts` None:
    no sampling (the no-message-passing baseline)."""

    def __init__(
        self,
        train_sets: list[tuple[SnapshotGraph, LinkLabels]],
        fanouts: tuple[int, ...] | None,
        degree_cap: int | None,
    ):
        self.train_sets = train_sets
        self.distinct = [
            {t: distinct_rows(g.features[t]) for t in ("member", "job")} for g, _ in train_sets
        ]
        self.samplers = [
            None if fanouts is None else NeighbourSampler(g, fanouts, degree_cap=degree_cap)
            for g, _ in train_sets
        ]

    def __getitem__(self, key: BatchKey) -> LinkBatch:
        graph, labels = self.train_sets[key.slice]
        batch = labels.take(key.rows)
        mu, m_inv = np.unique(batch.member, return_inverse=True)
        ju, j_inv = np.unique(batch.job, return_inverse=True)
        common = {
            "member_index": torch.from_numpy(m_inv),
            "job_index": torch.from_numpy(j_inv),
            "labels": torch.from_numpy(batch.label),
        }
        sampler = self.samplers[key.slice]
        if sampler is None:
            x = {
                t: torch.from_numpy(graph.features[t][ids])
                for t, ids in (("member", mu), ("job", ju))
            }
            return LinkBatch(x=x, **common)
        sub = sampler.sample(
            {"member": mu, "job": ju},
            exclude_pairs=(batch.member, batch.job),
            rng=np.random.default_rng(key.seed),
        )
        x = {t: ids for t, ids in sub.node_ids.items() if t not in self.distinct[key.slice]}
        rows = {}
        for t, (table, row_of) in self.distinct[key.slice].items():
            x[t], rows[t] = table, torch.from_numpy(row_of[sub.node_ids[t].numpy()])
        return LinkBatch(
            x=x,
            x_rows=rows,
            edge_index=sub.edge_index,
            degrees=sub.degrees,
            num_sampled_nodes=sub.num_sampled_nodes,
            num_sampled_edges=sub.num_sampled_edges,
            **common,
        )


def _one_thread(_worker_id: int) -> None:
    # a worker samples with numpy; torch threads there would only compete with the trainer's
    torch.set_num_threads(1)


def _as_is(batch: LinkBatch) -> LinkBatch:
    return batch


def batch_loader(
    dataset: LinkBatches, keys: list[BatchKey], *, workers: int, device: torch.device
) -> DataLoader:
    """A DataLoader yielding `dataset[key]` for each key in order: `workers` processes prepare
    batches ahead (0 = in this process); pinned memory when training on CUDA."""
    return DataLoader(
        dataset,
        batch_size=None,  # the keys are whole batches
        sampler=keys,
        num_workers=workers,
        collate_fn=_as_is,
        pin_memory=device.type == "cuda",
        worker_init_fn=_one_thread if workers else None,
        prefetch_factor=2 if workers else None,
    )
