"""The nearline worker: events in, fresh embeddings in the online store.

One step reads a batch (up to `max_batch` events: when events queue up they are handled
together, one state commit and one encoder run per target type), applies the graph changes to
the state, re-embeds the affected members and jobs with the ONNX ego-graph encoders and pushes
the embeddings (stamped with the event's timestamp), then acknowledges the batch.

Which nodes are re-embedded (`refresh`):
- "touched" (default, the paper's nearline): the member and the job of each event that changed
  the graph (a repeated engagement of a pair already linked, a view or a dismissal changes no
  neighbour list, so nothing is re-embedded). A job whose 2-hop neighbourhood changed without an event touching it (e.g. another
  member engaged with a job its applicant also applied to) keeps its last embedding until it is
  touched or the next daily snapshot: bounded 2-hop staleness.
- "ego": additionally every member and job whose 2-hop ego graph changed (found through the
  state's holders index). Exact: after the events before s, every embedding the worker has
  written equals the batch snapshot's at s. Costs more per event around hub nodes.

`entities` limits which of the two types are re-embedded (the offline nearline replay needs only
jobs, and skips the members' encoder runs).

Timestamps (`stamp`): "event" stamps each embedding with the newest event that touched the node
(what the online store gets); "batch" stamps every embedding of a batch with the batch's newest
event, so a row never predates an edge it contains (the offline nearline replay uses it).

Delivery guarantees: the state commit records the batch's last position (per consumer); a
delivery at or before it (redelivered after a crash between commit and acknowledgement) is not
applied again, but its nodes are re-embedded and re-pushed (idempotent). Malformed events and
events about unknown members or jobs are dead-lettered with the reason; the worker never stops
on them.

Several workers (`shared=True`, one consumer each in the same Redis consumer group, one shared
state; nearline/pool.py): a batch is applied under the state's lock after dropping the cached
reads, and its embeddings' timestamps are claimed under the same lock
(`GraphState.claim_stamps`), so the online store ends with the embedding computed after the
last commit that touched each node. Building ego inputs and ONNX run unlocked,
in parallel across workers; the online store writes take turns under a second lock (Feast's
Redis store reads the stored timestamp, then writes: two workers at once could let the older
row win). Position transitions (position A -> B) assume a member's position
starts arrive in time order; two starts of one member read by two workers at once may link in
the other order.

Latency (`WorkerStats.latencies_s`): from the event's publication (`published_at`, stamped by
the producer when the event happened) to the write of its batch's embeddings to the store.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from gnn_encoder.id_maps import IdMaps
from nearline.encoders import EgoEncoders
from nearline.events import Event, MalformedEvent, event_nodes, parse_event
from nearline.sinks import EmbeddingSink
from nearline.sources import Delivery, EventSource
from nearline.state import GraphState
from nearline.updates import GraphDelta, Node, event_delta

Refresh = Literal["touched", "ego"]


@dataclass
class WorkerStats:
    """Counters and per-event latencies (event published -> its embeddings written, seconds)."""

    events: int = 0
    applied: int = 0
    redelivered: int = 0
    dead_lettered: int = 0
    dead_letter_reasons: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    embeddings: int = 0
    latencies_s: list[float] = field(default_factory=list)
    busy_s: float = 0.0
    stage_s: dict[str, float] = field(default_factory=dict)  # busy time by stage of a batch

    def summary(self) -> dict:
        lat = np.asarray(self.latencies_s) * 1000
        pct = {f"p{q}_ms": float(np.percentile(lat, q)) for q in (50, 99, 99.9)} if len(lat) else {}
        return {
            "events": self.events,
            "applied": self.applied,
            "redelivered": self.redelivered,
            "dead_lettered": self.dead_lettered,
            "dead_letter_reasons": self.dead_letter_reasons,
            "batches": self.batches,
            "embeddings": self.embeddings,
            "busy_s": self.busy_s,
            "stage_s": {k: round(v, 3) for k, v in self.stage_s.items()},
            "events_per_busy_s": self.events / self.busy_s if self.busy_s else None,
            **pct,
        }


class _StageClock:
    """Adds the time since the last lap to `into[stage]` (a batch's time by stage)."""

    def __init__(self, into: dict[str, float]):
        self.into, self.start = into, time.perf_counter()
        self.last = self.start

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.into[stage] = self.into.get(stage, 0.0) + now - self.last
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.start


class NearlineWorker:
    """Consumes a source, keeps the graph state, pushes embeddings to a sink."""

    def __init__(
        self,
        *,
        source: EventSource,
        state: GraphState,
        encoders: EgoEncoders,
        sink: EmbeddingSink,
        id_maps: IdMaps,
        top_skills: int = 5,
        refresh: Refresh = "touched",
        max_batch: int = 64,
        stamp: Literal["event", "batch"] = "event",
        entities: tuple[str, ...] = ("member", "job"),
        shared: bool = False,
    ):
        if refresh not in ("touched", "ego"):
            raise ValueError(f"refresh must be 'touched' or 'ego', got {refresh!r}")
        if encoders.cap != state.cap or encoders.skill_nodes != state.skill_nodes:
            raise ValueError(
                f"state (cap {state.cap}) and ONNX encoders (cap {encoders.cap}) disagree"
            )
        self.source, self.state, self.encoders, self.sink = source, state, encoders, sink
        self.id_maps, self.top_skills = id_maps, top_skills
        self.refresh, self.max_batch, self.stamp = refresh, max_batch, stamp
        self.entities = entities  # which node types are re-embedded and pushed
        self.shared = state.shared = shared  # other workers write the same state
        if shared and state.consumer != getattr(source, "consumer", state.consumer):
            raise ValueError("a shared state must use the source's consumer name for its marker")
        self.stats = WorkerStats()
        self._marker = state.last_applied()
        self._applied_before: tuple[int, int] | None = self._marker

    def _delta(self, event: Event) -> GraphDelta:
        return event_delta(
            event,
            id_maps=self.id_maps,
            top_k_skills=self.top_skills,
            skill_nodes=self.state.skill_nodes,
        )

    def _dead_letter(self, delivery: Delivery, reason: str) -> None:
        self.source.dead_letter(delivery, reason)
        self.stats.dead_lettered += 1
        kind = reason.split(":")[0].split(" ")[0]
        self.stats.dead_letter_reasons[kind] = self.stats.dead_letter_reasons.get(kind, 0) + 1

    def step(self, block_ms: int = 100) -> int:
        """Handle one batch; return how many deliveries it had (0 when idle)."""
        deliveries = self.source.read(self.max_batch, block_ms)
        if not deliveries:
            return 0
        clock = _StageClock(self.stats.stage_s)
        self.stats.events += len(deliveries)
        parsed = []
        for d in deliveries:
            try:
                event = parse_event(d.payload)
            except MalformedEvent as err:
                self._dead_letter(d, str(err))
                continue
            parsed.append((d, event, self._delta(event)))
        clock.lap("parse")
        with self.state.backend.lock() if self.shared else contextlib.nullcontext():
            clock.lap("lock wait")
            if self.shared:
                self.state.refresh()  # forget what other workers changed since our last batch
            good, changed = self._apply(parsed)
            targets = self._targets(good, changed)
            if self.stamp == "event" and targets:
                stamps = self.state.claim_stamps({n: t.value for n, t in targets.items()})
                targets = {n: pd.Timestamp(stamps[n], tz="UTC") for n in targets}
            clock.lap("apply")
        # ego inputs, ONNX and the store write run outside the lock: the inputs hold at least
        # every edge committed so far (see GraphState.claim_stamps)
        rows = []
        for entity in self.entities:
            ids = sorted(i for (t, i) in targets if t == entity)
            if ids:
                vectors = self.encoders.embed(entity, np.asarray(ids), self.state, self.state)
                rows.append((entity, ids, vectors, [targets[(entity, i)] for i in ids]))
        clock.lap("embed")
        # Feast's Redis store compares timestamps and writes in two round trips: two workers
        # writing one key at once could let the older row win, so writes take turns
        with self.state.backend.lock("write") if self.shared else contextlib.nullcontext():
            clock.lap("lock wait")
            for entity, ids, vectors, stamps in rows:
                self.sink.write(entity, np.asarray(ids), vectors, pd.Series(stamps))
                self.stats.embeddings += len(ids)
        clock.lap("store write")
        written = time.time()  # every embedding of the batch is in the store now
        self.source.ack([d for d, _, _ in good])
        clock.lap("ack")
        self.stats.latencies_s += [written - d.published_at for d, _, _ in good if d.published_at]
        self.stats.batches += 1
        self.stats.busy_s += clock.total()
        return len(deliveries)

    def _apply(self, parsed) -> tuple[list, set[Node]]:
        """Apply the new events of a batch to the state; return (events to re-embed for,
        nodes whose lists changed). Redeliveries at or before the marker are not applied again
        (but re-embedded); events about unknown nodes are dead-lettered."""
        good, fresh = [], []
        for item in parsed:
            d = item[0]
            if self._marker is not None and d.position <= self._marker:
                self.stats.redelivered += 1  # applied before a crash; re-embed, never re-apply
                missing = [n for n in item[2].requires if not self.state.has_nodes([n])[0]]
                if missing:
                    self._dead_letter(d, f"unknown {missing[0][0]} {missing[0][1]}")
                    continue
                good.append(item)
            else:
                fresh.append(item)
        self._applied_before = self._marker
        if not fresh:
            return good, set()
        position = max(d.position for d, _, _ in fresh)
        result = self.state.apply([delta for _, _, delta in fresh], position)
        self._marker = position
        rejected = dict(result.rejected)
        for i, item in enumerate(fresh):
            if i in rejected:
                self._dead_letter(item[0], rejected[i])
            else:
                good.append(item)
                self.stats.applied += 1
        return good, result.changed | result.new_nodes

    def _targets(self, good, changed: set[Node]) -> dict[Node, pd.Timestamp]:
        """Members and jobs to re-embed, each with the timestamp to stamp on its embedding."""
        targets: dict[Node, pd.Timestamp] = {}

        def add(node: Node, at: pd.Timestamp) -> None:
            if node not in targets or targets[node] < at:
                targets[node] = at

        for d, event, delta in good:
            if not (delta.edges or delta.nodes):
                continue  # a view or dismiss: the graph is unchanged
            member, job = event_nodes(event)
            nodes = [n for n in (("member", member), ("job", job)) if n[1] is not None]
            redelivered = self._applied_before is not None and d.position <= self._applied_before
            if not redelivered and not any(n in changed for n in nodes):
                continue  # e.g. a repeated click on a pair already linked: nothing changed
            for node in nodes:
                add(node, pd.Timestamp(event.at))
        if self.refresh == "ego" and good:
            latest = max(pd.Timestamp(e.at) for _, e, _ in good)
            affected = {n for n in changed if n[0] in ("member", "job")}
            affected |= self.state.holders(changed)
            for node in affected:
                if node not in targets:
                    add(node, latest)
        if self.stamp == "batch" and targets:  # conservative: no row predates any edge in it
            newest = max(targets.values())
            targets = dict.fromkeys(targets, newest)
        exists = self.state.has_nodes(list(targets))
        return {n: t for (n, t), ok in zip(targets.items(), exists, strict=True) if ok}

    def run(
        self,
        *,
        stop_when_idle: bool = False,
        max_events: int | None = None,
        block_ms: int = 100,
        on_batch=None,
    ) -> WorkerStats:
        """Loop over batches until idle (with `stop_when_idle`) or `max_events` were handled."""
        while max_events is None or self.stats.events < max_events:
            n = self.step(block_ms=block_ms)
            if on_batch is not None and n:
                on_batch(self.stats)
            if n == 0 and stop_when_idle:
                break
        return self.stats
