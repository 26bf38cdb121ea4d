"""What an event changes in the graph, by the same rules as the batch snapshot builder.

`gnn_encoder.graph.build_graph` defines the snapshot: which rows become edges, with which time,
how duplicates merge. This module restates those rules for one event at a time, so that the
neighbour lists a nearline worker keeps equal the (capped) lists of the batch snapshot:

- member joined: member features; edges to its title, company, profile position and top skills
  at `created_at`; its positions started before joining (edges at their `start_at`) and the
  transitions between them;
- job posted: job features; edges to title, company, position and top skills at `posted_at`;
- position started: member -> position at `start_at`, and a transition from the member's
  previous position (the one with the latest earlier start);
- engagement click/save/apply: member -> job at `at` (one edge per pair, newest time wins);
  view and dismiss change nothing;
- recruiter action: job -> member at `at`.
Every edge also exists reversed (`rev_<name>`), as in the batch graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gnn_encoder.features import job_features, member_features
from gnn_encoder.graph import ENGAGEMENT_WEIGHTS
from gnn_encoder.id_maps import IdMaps, position_key
from linksage.data.skills import skill_rank_key
from linksage.timeutil import ns
from nearline.events import (
    Engagement,
    Event,
    JobPosted,
    MemberJoined,
    PositionStarted,
    RecruiterAction,
)

Node = tuple[str, int]  # (node type, raw id for member/job, vocabulary id otherwise)


@dataclass(frozen=True)
class Edge:
    """A forward edge of the graph schema, e.g. ("member", 5, "engaged", "job", 9, t_ns)."""

    src: Node
    name: str
    dst: Node
    time_ns: int


@dataclass
class GraphDelta:
    """New nodes (with input features), new edges and position starts of one event."""

    nodes: list[tuple[Node, np.ndarray]] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    position_starts: list[tuple[int, int, int]] = field(default_factory=list)  # member, pos, t
    requires: list[Node] = field(default_factory=list)  # nodes that must already exist


def top_skills(skills, top_k: int) -> list[str]:
    """The `top_k` of (skill, score) pairs by score (ties: alphabetical), as `build_graph`
    chooses them."""
    ranked = sorted(skills, key=lambda item: skill_rank_key(*item))
    return [s for s, _ in ranked[:top_k]]


def _one(id_maps: IdMaps, vocab: str, value: str) -> int:
    return int(id_maps.lookup(vocab, [value])[0])


def _position(id_maps: IdMaps, company: str, title: str) -> int:
    key = position_key(pd.Series([company]), pd.Series([title]))
    return int(id_maps.lookup("position", key)[0])


def event_delta(
    event: Event, *, id_maps: IdMaps, top_k_skills: int = 5, skill_nodes: bool = True
) -> GraphDelta:
    """The graph change an event causes (position transitions are resolved by the state)."""
    d = GraphDelta()
    if isinstance(event, Engagement):
        m, j = ("member", event.member_id), ("job", event.job_id)
        d.requires = [m, j]  # a view or dismissal adds no edge but must name known nodes too
        if event.action in ENGAGEMENT_WEIGHTS:
            d.edges.append(Edge(m, "engaged", j, ns(event.at)))
        return d
    if isinstance(event, RecruiterAction):
        m, j = ("member", event.member_id), ("job", event.job_id)
        d.requires = [m, j]
        d.edges.append(Edge(j, "recruited", m, ns(event.at)))
        return d
    if isinstance(event, PositionStarted):
        m = ("member", event.member_id)
        d.requires = [m]
        pos = _position(id_maps, event.company, event.title)
        d.position_starts.append((event.member_id, pos, ns(event.at)))
        d.edges.append(Edge(m, "held", ("position", pos), ns(event.at)))
        return d
    t = ns(event.at)
    if isinstance(event, JobPosted):
        node = ("job", event.job_id)
        row = pd.DataFrame(
            [
                {
                    "seniority": event.seniority,
                    "is_promoted": event.is_promoted,
                    "location": event.location,
                }
            ]
        )
        d.nodes.append((node, job_features(row, id_maps)[0]))
        names = ("has_title", "at_company", "is_position", "requires_skill")
    else:
        node = ("member", event.member_id)
        row = pd.DataFrame(
            [
                {
                    "seniority": event.seniority,
                    "is_premium": event.is_premium,
                    "seeker_intent": event.seeker_intent,
                    "location": event.location,
                }
            ]
        )
        d.nodes.append((node, member_features(row, id_maps)[0]))
        names = ("has_title", "works_at", "held", "has_skill")
    d.edges += [
        Edge(node, names[0], ("title", _one(id_maps, "title", event.title)), t),
        Edge(node, names[1], ("company", _one(id_maps, "company", event.company)), t),
        Edge(node, names[2], ("position", _position(id_maps, event.company, event.title)), t),
    ]
    if skill_nodes:
        for skill in top_skills(event.skills, top_k_skills):
            d.edges.append(Edge(node, names[3], ("skill", _one(id_maps, "skill", skill)), t))
    if isinstance(event, MemberJoined):
        for company, title, start in sorted(event.positions, key=lambda p: p[2]):
            pos = _position(id_maps, company, title)
            d.position_starts.append((event.member_id, pos, ns(start)))
            d.edges.append(Edge(node, "held", ("position", pos), ns(start)))
    return d
