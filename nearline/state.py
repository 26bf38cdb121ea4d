"""The nearline graph state: capped neighbour lists and input features, kept in a durable store.

Per (node, relation) it keeps the `cap` most recent in-neighbours, ordered as the batch snapshot
orders them (newest edge first, ties: larger source id first; one entry per neighbour, newest
time wins), so `build_ego_inputs` reads the same lists from here as from a snapshot. It also
keeps member/job input features, each member's latest position (for position transitions), the
position of the last applied event, and a "holders" index (which members/jobs hold a node in
their capped lists) used to find every ego graph an event changed.

A batch of events is applied with one atomic commit that also records the batch's last
position for the consumer that read it (`consumer`): a redelivered event at or before that
position is never applied twice. Each consumer of a Redis consumer group reads its own entries
in stream order and gets its own unacknowledged entries back on restart, so one marker per
consumer suffices when several workers share the state.

Implements `nearline.ego_inputs.NeighbourLookup` and `FeatureLookup`. Reads go through a
write-through in-process cache; when several workers share the store, each drops its cache
(`refresh`) and applies its batch under the backend's lock (nearline/worker.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gnn_encoder.graph import ENTITY_TYPES, EdgeType, SnapshotGraph
from nearline.backends import KeyValueBackend
from nearline.sources import Position
from nearline.updates import GraphDelta, Node

_MARKER = "meta|last_applied|"  # + consumer name
_APPLIED = "meta|applied_events"
_INFO = "meta|info"
_EMPTY = (np.zeros(0, np.int64), np.zeros(0, np.int64))


def _list_key(relation: EdgeType, dst_id: int) -> str:
    return f"n|{relation[0]}|{relation[1]}|{relation[2]}|{dst_id}"


def _node_str(node: Node) -> str:
    return f"{node[0]}|{node[1]}"


def _holder_str(relation: EdgeType, dst_id: int) -> str:
    """A holders-index entry: the node holding the list and the list's relation. The relation
    is part of it because a node can sit in two of a holder's lists (a member engaged with a job
    that also recruited it): leaving one list must not drop the entry of the other."""
    return f"{relation[2]}|{dst_id}|{relation[1]}"


def _parse_node(text: str) -> Node:
    t, i = text.split("|")[:2]
    return t, int(i)


def _pack(src: np.ndarray, times: np.ndarray) -> bytes:
    return np.concatenate([src, times]).astype("<i8").tobytes()


def _unpack(blob: bytes | None) -> tuple[np.ndarray, np.ndarray]:
    if blob is None:
        return _EMPTY
    a = np.frombuffer(blob, "<i8")
    n = len(a) // 2
    return a[:n], a[n:]


def _decode_features(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, np.float32)


def merge_neighbours(
    src: np.ndarray, times: np.ndarray, new_src: np.ndarray, new_times: np.ndarray, cap: int
) -> tuple[np.ndarray, np.ndarray]:
    """Merge new entries into a list: one entry per source (newest time), newest first (ties:
    larger source first), cut to `cap`."""
    all_src = np.concatenate([src, new_src]).astype(np.int64)
    all_t = np.concatenate([times, new_times]).astype(np.int64)
    order = np.lexsort((-all_src, -all_t))
    all_src, all_t = all_src[order], all_t[order]
    _, first = np.unique(all_src, return_index=True)  # first occurrence = newest time
    keep = np.sort(first)[:cap]
    return all_src[keep], all_t[keep]


@dataclass
class ApplyResult:
    """What one batch changed: nodes whose lists changed, and rejected events with reasons."""

    changed: set[Node] = field(default_factory=set)
    new_nodes: set[Node] = field(default_factory=set)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (index in batch, reason)


class GraphState:
    """Neighbour lists, features and progress of the nearline worker, over a KeyValueBackend."""

    def __init__(
        self,
        backend: KeyValueBackend,
        *,
        cap: int,
        skill_nodes: bool = True,
        consumer: str = "worker-1",
    ):
        self.backend = backend
        self.cap = cap
        self.skill_nodes = skill_nodes
        self.consumer = consumer  # whose "last applied" marker this state reads and writes
        self.shared = False  # other workers write too: log each commit's keys (see refresh)
        self._cache: dict[str, object] = {}
        self._seen: bytes | None = None  # newest change-log entry `refresh` has read
        self._own: set[bytes] = set()  # change-log entries of this state's own commits

    def refresh(self) -> None:
        """Forget the cached reads other workers have changed since the last refresh, read
        from the backend's change log (`RedisBackend.changes_since`); everything but the
        bootstrap info when the log cannot tell. Call it under the backend's lock."""
        since = getattr(self.backend, "changes_since", None)
        entries = None
        if since is not None:
            self._seen, entries = since(self._seen)
        if entries is None:
            info = self._cache.get(_INFO)
            self._cache.clear()
            if info is not None:
                self._cache[_INFO] = info
            return
        for entry_id, keys in entries:
            if entry_id in self._own:
                self._own.discard(entry_id)  # our own commit: the cache holds what it wrote
                continue
            for k in keys:
                self._cache.pop(k, None)

    # ---- reads (NeighbourLookup / FeatureLookup) ---------------------------------------------

    def _get(self, keys: list[str], decode) -> list:
        missing = [k for k in dict.fromkeys(keys) if k not in self._cache]
        if missing:
            for k, blob in zip(missing, self.backend.get_many(missing), strict=True):
                self._cache[k] = decode(blob)
        return [self._cache[k] for k in keys]

    def lists(
        self, relation: EdgeType, node_ids: Iterable[int]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(sources, times) of each node's capped list under `relation`."""
        return self._get([_list_key(relation, int(i)) for i in node_ids], _unpack)

    def neighbours(self, relation: EdgeType, node_ids: np.ndarray, cap: int) -> np.ndarray:
        node_ids = np.asarray(node_ids, np.int64)
        out = np.full((len(node_ids), cap), -1, np.int64)
        valid = np.flatnonzero(node_ids >= 0)
        for row, (src, _) in zip(valid, self.lists(tuple(relation), node_ids[valid]), strict=True):
            n = min(len(src), cap)
            out[row, :n] = src[:n]
        return out

    def _features_or_none(self, node_type: str, node_ids) -> list[np.ndarray | None]:
        return self._get([f"f|{node_type}|{int(i)}" for i in node_ids], _decode_features)

    def prefetch(
        self,
        lists: Iterable[tuple[EdgeType, np.ndarray]] = (),
        features: Iterable[tuple[str, np.ndarray]] = (),
    ) -> None:
        """Bring the neighbour lists (relation, node ids) and input features (type, ids) that
        are not cached yet into the cache with one read of the store (one round trip to Redis
        instead of one per relation). Ids < 0 (padding) are skipped."""
        wanted: dict[str, object] = {}
        for relation, ids in lists:
            ids = np.asarray(ids, np.int64)
            for i in np.unique(ids[ids >= 0]).tolist():
                wanted[_list_key(tuple(relation), i)] = _unpack
        for node_type, ids in features:
            ids = np.asarray(ids, np.int64)
            for i in np.unique(ids[ids >= 0]).tolist():
                wanted[f"f|{node_type}|{i}"] = _decode_features
        missing = [k for k in wanted if k not in self._cache]
        if missing:
            for k, blob in zip(missing, self.backend.get_many(missing), strict=True):
                self._cache[k] = wanted[k](blob)

    def features(self, node_type: str, node_ids: np.ndarray) -> np.ndarray:
        rows = self._features_or_none(node_type, node_ids)
        if any(r is None for r in rows):
            unknown = [int(i) for i, r in zip(node_ids, rows, strict=True) if r is None][:5]
            raise KeyError(f"no input features for {node_type} ids {unknown}")
        if rows:
            return np.stack(rows)
        dims = (self.info() or {}).get("feature_dims", {})
        if node_type not in dims:
            raise KeyError(f"feature width of {node_type} unknown (state not bootstrapped)")
        return np.zeros((0, dims[node_type]), np.float32)

    def has_nodes(self, nodes: list[Node]) -> list[bool]:
        return [self._features_or_none(t, [i])[0] is not None for t, i in nodes]

    def holders(self, nodes: Iterable[Node]) -> set[Node]:
        """Members and jobs that hold any of `nodes` in one of their capped lists."""
        nodes = list(nodes)
        found: set[Node] = set()
        for members in self.backend.set_members([f"h|{_node_str(n)}" for n in nodes]):
            found.update(_parse_node(m) for m in members)
        return found

    def last_applied(self) -> Position | None:
        """The last position this state's consumer applied (None before its first batch)."""
        (blob,) = self.backend.get_many([_MARKER + self.consumer])
        if blob is None:
            return None
        a, b = blob.decode().split("-")
        return int(a), int(b)

    def applied_events(self) -> int:
        """How many events were applied since bootstrap (each exactly once)."""
        (blob,) = self.backend.get_many([_APPLIED])
        return 0 if blob is None else int(blob)

    def info(self) -> dict | None:
        """What the state was bootstrapped from (time, cap, feature widths...); None if empty."""
        if _INFO not in self._cache:
            (blob,) = self.backend.get_many([_INFO])
            self._cache[_INFO] = None if blob is None else json.loads(blob)
        return self._cache[_INFO]

    def _last_position(self, member_id: int) -> tuple[int, int] | None:
        def decode(blob):
            return None if blob is None else tuple(np.frombuffer(blob, "<i8").tolist())

        return self._get([f"p|{member_id}"], decode)[0]

    # ---- writes ------------------------------------------------------------------------------

    def claim_stamps(self, wanted: dict[Node, int]) -> dict[Node, int]:
        """Timestamps (ns) for new embeddings of `wanted` {node: newest event ns}: each strictly
        after the node's last claimed one. The online store keeps a row only if it is newer than
        the stored one; claimed in commit order, the newest stamp goes to the embedding computed
        last, which holds every edge committed before it, whatever the event times' order."""
        keys = [f"s|{t}|{i}" for t, i in wanted]
        last = self.backend.get_many(keys)
        out = {}
        for (node, at), blob in zip(wanted.items(), last, strict=True):
            out[node] = at if blob is None else max(at, int(blob) + 1)
        self.backend.commit({k: str(out[n]).encode() for k, n in zip(keys, out, strict=True)})
        return out

    def apply(self, deltas: list[GraphDelta], position: Position) -> ApplyResult:
        """Apply a batch of event deltas atomically and record `position` as last applied."""
        result = ApplyResult()
        new_feats: dict[Node, np.ndarray] = {}
        last_pos: dict[int, tuple[int, int] | None] = {}
        additions: dict[tuple[EdgeType, int], list[tuple[int, int]]] = {}

        def exists(node: Node) -> bool:
            return node in new_feats or self.has_nodes([node])[0]

        def add_edge(u: Node, name: str, v: Node, t: int) -> None:
            fwd, rev = (u[0], name, v[0]), (v[0], f"rev_{name}", u[0])
            additions.setdefault((fwd, v[1]), []).append((u[1], t))
            additions.setdefault((rev, u[1]), []).append((v[1], t))

        needed: dict[str, list[int]] = {}  # one read for every node the batch names
        for delta in deltas:
            for t, i in [*delta.requires, *(n for n, _ in delta.nodes)]:
                needed.setdefault(t, []).append(i)
        self.prefetch(features=[(t, np.asarray(ids, np.int64)) for t, ids in needed.items()])
        for i, delta in enumerate(deltas):
            missing = [n for n in delta.requires if not exists(n)]
            if missing:
                result.rejected.append((i, "unknown " + ", ".join(f"{t} {n}" for t, n in missing)))
                continue
            for node, feats in delta.nodes:
                new_feats[node] = np.asarray(feats, np.float32)
                result.new_nodes.add(node)
            for e in delta.edges:
                add_edge(e.src, e.name, e.dst, e.time_ns)
            for member, pos, t in delta.position_starts:
                prev = last_pos[member] if member in last_pos else self._last_position(member)
                if prev is not None and prev[1] <= t:
                    add_edge(("position", prev[0]), "next", ("position", pos), t)
                if prev is None or prev[1] <= t:
                    last_pos[member] = (pos, t)

        puts: dict[str, bytes] = {}
        set_add: dict[str, set[str]] = {}
        set_remove: dict[str, set[str]] = {}
        decoded: dict[str, object] = {}
        lists: dict[EdgeType, list[int]] = {}
        for rel, dst in additions:
            lists.setdefault(rel, []).append(dst)
        self.prefetch(lists=[(rel, np.asarray(ids, np.int64)) for rel, ids in lists.items()])
        for (rel, dst), entries in additions.items():
            key = _list_key(rel, dst)
            src, times = self.lists(rel, [dst])[0]
            new = np.asarray(entries, np.int64)
            merged = merge_neighbours(src, times, new[:, 0], new[:, 1], self.cap)
            before, after = set(src.tolist()), set(merged[0].tolist())
            if before == after and np.array_equal(times, merged[1]):
                continue
            puts[key], decoded[key] = _pack(*merged), merged
            if before != after:
                result.changed.add((rel[2], dst))
            if rel[2] in ENTITY_TYPES:
                holder = _holder_str(rel, dst)
                for u in after - before:
                    set_add.setdefault(f"h|{rel[0]}|{u}", set()).add(holder)
                for u in before - after:
                    set_remove.setdefault(f"h|{rel[0]}|{u}", set()).add(holder)
        for node, feats in new_feats.items():
            key = f"f|{node[0]}|{node[1]}"
            puts[key], decoded[key] = feats.tobytes(), feats
        for member, value in last_pos.items():
            puts[f"p|{member}"], decoded[f"p|{member}"] = np.asarray(value, "<i8").tobytes(), value
        puts[_MARKER + self.consumer] = f"{position[0]}-{position[1]}".encode()
        accepted = len(deltas) - len(result.rejected)
        puts[_APPLIED] = str(self.applied_events() + accepted).encode()
        if self.shared:
            self._own.add(self.backend.commit(puts, set_add, set_remove, log=True))
        else:
            self.backend.commit(puts, set_add, set_remove)
        self._cache.update(decoded)
        return result

    def bootstrap(
        self, graph: SnapshotGraph, *, last_positions: dict[int, tuple[int, int]], info: dict
    ) -> None:
        """Fill an empty store from a snapshot graph (lists capped at `cap`)."""
        raw = {"member": graph.member_ids, "job": graph.job_ids}
        puts: dict[str, bytes] = {}
        holders: dict[str, set[str]] = {}
        for rel, r in graph.capped(self.cap).relations.items():
            src_raw = raw.get(rel[0])
            for dst in np.flatnonzero(np.diff(r.indptr)):
                lo, hi = r.indptr[dst], r.indptr[dst + 1]
                src = r.indices[lo:hi] if src_raw is None else src_raw[r.indices[lo:hi]]
                dst_id = int(raw[rel[2]][dst]) if rel[2] in raw else int(dst)
                puts[_list_key(rel, dst_id)] = _pack(src, r.times[lo:hi])
                if rel[2] in ENTITY_TYPES:
                    for u in src.tolist():
                        holders.setdefault(f"h|{rel[0]}|{u}", set()).add(_holder_str(rel, dst_id))
        for t in ENTITY_TYPES:
            for i, row in zip(raw[t].tolist(), graph.features[t], strict=True):
                puts[f"f|{t}|{i}"] = np.asarray(row, np.float32).tobytes()
        for member, value in last_positions.items():
            puts[f"p|{member}"] = np.asarray(value, "<i8").tobytes()
        dims = {t: int(graph.features[t].shape[1]) for t in ENTITY_TYPES}
        puts[_INFO] = json.dumps({**info, "feature_dims": dims}).encode()
        self.backend.commit(puts, holders)
        self._cache.clear()


def last_positions(member_positions: pd.DataFrame | None, *, before, position_ids) -> dict:
    """{member: (position id, start ns)} of each member's latest position started before
    `before`; `position_ids(frame)` maps rows to position vocabulary ids."""
    if member_positions is None or not len(member_positions):
        return {}
    p = member_positions[pd.to_datetime(member_positions["start_at"], utc=True) < before]
    if not len(p):
        return {}
    p = p.assign(_t=pd.to_datetime(p["start_at"], utc=True).astype("int64"), _pos=position_ids(p))
    p = p.sort_values(["member_id", "_t"], kind="stable").groupby("member_id").tail(1)
    return {
        int(m): (int(pos), int(t))
        for m, pos, t in zip(p["member_id"], p["_pos"], p["_t"], strict=True)
    }
