"""Ego-graph inputs of the ONNX encoders, built in numpy from the encoder's own `ego_spec`.

The encoders (`encoder_member.onnx`, `encoder_job.onnx`, exported by `linksage embed`) record in
their metadata the slots of the 2-hop ego graph they take: name, node type and relation path,
in input order (format: `gnn_encoder/ego.py`). This module reads the slots from there instead of
importing the torch package: the file is the contract, and the nearline worker needs neither
torch nor PyG. `tests/nearline/test_ego_inputs.py` checks the arrays equal
`gnn_encoder.ego.build_ego_inputs`'s and the embeddings equal `linksage embed`'s.

Input names per slot: `{slot}_x` (float32 features of members/jobs, int64 vocabulary ids of
attribute nodes, 0 = padding/OOV) and, except for the target slot `t`, `{slot}_mask`
(float32, 1 = real neighbour). Neighbour ids are -1 for padding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

ENTITY_TYPES = ("member", "job")  # node types with feature vectors; the others are vocab ids
EdgeType = tuple[str, str, str]


class NeighbourLookup(Protocol):
    def neighbours(self, relation: EdgeType, node_ids: np.ndarray, cap: int) -> np.ndarray:
        """int64 [len(node_ids), cap]: in-neighbours under `relation`, newest first, -1 padded."""
        ...


class FeatureLookup(Protocol):
    def features(self, node_type: str, node_ids: np.ndarray) -> np.ndarray:
        """float32 [len(node_ids), F_type] input features of members or jobs."""
        ...


@dataclass(frozen=True)
class Slot:
    """One input pair: the nodes reached from the target through `path`."""

    name: str  # "t", "h0", "h0_3", ...
    node_type: str
    path: tuple[EdgeType, ...]

    @property
    def parent(self) -> str:
        """The slot whose nodes' neighbour lists this slot holds ("h0_3" -> "h0", "h0" -> "t")."""
        return self.name.rsplit("_", 1)[0] if "_" in self.name else "t"


def slots_from_spec(spec: dict) -> list[Slot]:
    """The slots recorded in an encoder's `ego_spec`, in input order."""
    try:
        return [
            Slot(s["name"], s["node_type"], tuple(tuple(e) for e in s["path"]))
            for s in spec["slots"]
        ]
    except (KeyError, TypeError) as err:
        raise ValueError(f"ego_spec has no valid 'slots' list ({err!r})") from None


def input_names(slots: list[Slot]) -> list[str]:
    """ONNX input names in order: `{slot}_x`, then `{slot}_mask` for every slot but the target."""
    names = []
    for s in slots:
        names.append(f"{s.name}_x")
        if s.path:
            names.append(f"{s.name}_mask")
    return names


def _unique_rows(lookup, ids: np.ndarray, *args) -> np.ndarray:
    """`lookup(first arg, unique ids, rest)` spread back over `ids` (each node read once)."""
    uniq, inverse = np.unique(ids, return_inverse=True)
    return np.asarray(lookup(*args[:1], uniq, *args[1:]))[inverse.reshape(-1)]


def _neighbour_ids(slots, ids_at, neighbours, cap: int, trim: bool) -> dict[str, np.ndarray]:
    """Node ids of every slot, hop by hop (each hop's lists prefetched in one read if possible)."""
    prefetch = getattr(neighbours, "prefetch", None)
    for hop in (1, 2):
        level = [s for s in slots if len(s.path) == hop]
        if prefetch is not None:
            prefetch(lists=[(s.path[-1], ids_at[s.parent]) for s in level])
        for slot in level:
            parent = ids_at[slot.parent].reshape(-1)
            flat = _unique_rows(neighbours.neighbours, parent, slot.path[-1], cap)
            flat = np.where(parent[:, None] >= 0, flat.astype(np.int64), -1)
            width = cap
            if trim:  # the widest real list in the batch: masked aggregations ignore padding
                used = np.flatnonzero((flat >= 0).any(axis=0))
                width = int(used[-1]) + 1 if len(used) else 1
            ids_at[slot.name] = flat[:, :width].reshape(*ids_at[slot.parent].shape, width)
    return ids_at


def build_inputs(
    slots: list[Slot],
    target_ids: np.ndarray,
    neighbours: NeighbourLookup,
    features: FeatureLookup,
    cap: int,
    *,
    trim: bool = False,
) -> dict[str, np.ndarray]:
    """The ONNX input dict of a batch of targets (raw member or job ids).

    `trim` cuts each slot's neighbour axis to the widest real list in the batch instead of
    padding it to `cap` (same embeddings; see nearline/encoders.py). A lookup with a
    `prefetch(lists=, features=)` method is asked once per hop and once for all features."""
    ids_at = {"t": np.asarray(target_ids, dtype=np.int64)}
    ids_at = _neighbour_ids(slots, ids_at, neighbours, cap, trim)
    out = {f"{s.name}_mask": (ids_at[s.name] >= 0).astype(np.float32) for s in slots if s.path}
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
    return {name: out[name] for name in input_names(slots)}
