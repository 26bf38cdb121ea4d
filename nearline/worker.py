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

Delivery guarantees: the state commit records the batch's last position; a delivery at or before
it (redelivered after a crash between commit and acknowledgement) is not applied again, but its
nodes are re-embedded and re-pushed (idempotent). Malformed events and events about unknown
members or jobs are dead-lettered with the reason; the worker never stops on them.
"""

from __future__ import annotations

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
    """Counters and per-event latencies (publish -> pushed, seconds) of a worker's life."""

    events: int = 0
    applied: int = 0
    redelivered: int = 0
    dead_lettered: int = 0
    dead_letter_reasons: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    embeddings: int = 0
    latencies_s: list[float] = field(default_factory=list)
    busy_s: float = 0.0

    def summary(self) -> dict:
        lat = np.asarray(self.latencies_s) * 1000
        pct = {f"p{q}_ms": float(np.percentile(lat, q)) for q in (50, 99)} if len(lat) else {}
        return {
            "events": self.events,
            "applied": self.applied,
            "redelivered": self.redelivered,
            "dead_lettered": self.dead_lettered,
            "dead_letter_reasons": self.dead_letter_reasons,
            "batches": self.batches,
            "embeddings": self.embeddings,
            "busy_s": self.busy_s,
            "events_per_busy_s": self.events / self.busy_s if self.busy_s else None,
            **pct,
        }


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
        started = time.perf_counter()
        self.stats.events += len(deliveries)
        good: list[tuple[Delivery, Event, GraphDelta]] = []
        fresh: list[tuple[Delivery, Event, GraphDelta]] = []
        for d in deliveries:
            try:
                event = parse_event(d.payload)
            except MalformedEvent as err:
                self._dead_letter(d, str(err))
                continue
            item = (d, event, self._delta(event))
            if self._marker is not None and d.position <= self._marker:
                self.stats.redelivered += 1  # applied before a crash; re-embed, never re-apply
                missing = [n for n in item[2].requires if not self.state.has_nodes([n])[0]]
                if missing:
                    self._dead_letter(d, f"unknown {missing[0][0]} {missing[0][1]}")
                    continue
                good.append(item)
            else:
                fresh.append(item)
        changed: set[Node] = set()
        self._applied_before = self._marker
        if fresh:
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
            changed = result.changed | result.new_nodes
        targets = self._targets(good, changed)
        for entity in self.entities:
            ids = sorted(i for (t, i) in targets if t == entity)
            if ids:
                vectors = self.encoders.embed(entity, np.asarray(ids), self.state, self.state)
                stamps = [targets[(entity, i)] for i in ids]
                self.sink.write(entity, np.asarray(ids), vectors, pd.Series(stamps))
                self.stats.embeddings += len(ids)
        self.source.ack([d for d, _, _ in good])
        now = time.time()
        self.stats.latencies_s += [now - d.published_at for d, _, _ in good if d.published_at]
        self.stats.batches += 1
        self.stats.busy_s += time.perf_counter() - started
        return len(deliveries)

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
