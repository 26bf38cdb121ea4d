"""The heterogeneous marketplace graph at a snapshot time, stored as one CSR per relation.

Node types: member, job (indexed by their position in the sorted id arrays of the snapshot) and
the attribute types skill, title, company, position (= company x title), indexed by the frozen
vocabularies of :class:`~gnn_encoder.id_maps.IdMaps` (id 0 is the out-of-vocabulary bucket).

Every relation is stored by destination ("in-neighbour lists"): row ``d`` of a relation holds the
source nodes that send messages to ``d``, most recent edge first (ties: larger source id first).
That is the layout the sampler walks and the layout of a transposed sparse adjacency (rows =
targets) that PyG layers consume. Each edge type has its reciprocal (``rev_<name>``).

Edge times (used for the snapshot cut and the recency order): attribute edges of a member take
its ``created_at`` (a position: its ``start_at``), of a job its ``posted_at``; engagements and
recruiter actions their ``at``; a position transition the ``start_at`` of the later position.
A snapshot at time ``s`` keeps only rows whose time is ``< s``. Member->job engagements
(click/save/apply) are deduplicated per pair, keeping the newest time and the strongest action
as ``weight`` (click 1, save 2, apply 3); the weight is kept on the relation for analysis and
baselines; the encoder's mean/attention aggregation treats edges alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from gnn_encoder.id_maps import IdMaps, position_key
from linksage.config import GnnParams
from linksage.data.skills import top_skill_rows
from linksage.data.tables import Tables
from linksage.timeutil import ns_array

_GNN = GnnParams()  # the defaults live once, in the config
NODE_TYPES = ("member", "job", "skill", "title", "company", "position")
ENTITY_TYPES = ("member", "job")
ATTRIBUTE_TYPES = ("skill", "title", "company", "position")
ENGAGEMENT_WEIGHTS = {"click": 1, "save": 2, "apply": 3}

EdgeType = tuple[str, str, str]

# Forward edge types; each also exists reversed as (dst, "rev_" + name, src).
_FORWARD: tuple[EdgeType, ...] = (
    ("member", "has_title", "title"),
    ("member", "works_at", "company"),
    ("member", "held", "position"),
    ("member", "has_skill", "skill"),
    ("job", "has_title", "title"),
    ("job", "at_company", "company"),
    ("job", "is_position", "position"),
    ("job", "requires_skill", "skill"),
    ("member", "engaged", "job"),
    ("job", "recruited", "member"),
    ("position", "next", "position"),
)
# Relations that connect a member and a job directly (removed for a batch's supervised pairs).
MEMBER_JOB_RELATIONS = frozenset(
    {
        ("member", "engaged", "job"),
        ("job", "rev_engaged", "member"),
        ("job", "recruited", "member"),
        ("member", "rev_recruited", "job"),
    }
)


def reverse(edge_type: EdgeType) -> EdgeType:
    src, name, dst = edge_type
    return (dst, name[4:], src) if name.startswith("rev_") else (dst, f"rev_{name}", src)


def edge_types(skill_nodes: bool = True) -> tuple[EdgeType, ...]:
    """All relations (forward then reverse) of the graph schema, in a fixed order."""
    forward = [e for e in _FORWARD if skill_nodes or "skill" not in (e[0], e[2])]
    return tuple(forward) + tuple(reverse(e) for e in forward)


def relations_into(node_type: str, skill_nodes: bool = True) -> tuple[EdgeType, ...]:
    """The relations whose destination is `node_type`, in schema order."""
    return tuple(e for e in edge_types(skill_nodes) if e[2] == node_type)


@dataclass
class Relation:
    """One relation as destination-major CSR, rows sorted most-recent-first."""

    indptr: np.ndarray  # int64 [n_dst + 1]
    indices: np.ndarray  # int64 [nnz] source node index
    times: np.ndarray  # int64 [nnz] edge time, ns since epoch
    weights: np.ndarray | None = None  # float32 [nnz], engagement strength

    @property
    def num_edges(self) -> int:
        return int(self.indices.shape[0])

    def degrees(self) -> np.ndarray:
        return np.diff(self.indptr)

    def capped(self, cap: int) -> Relation:
        """The same relation keeping only the `cap` most recent neighbours of each row (itself
        when no row is longer: relations are never modified in place)."""
        deg = self.degrees()
        if len(deg) == 0 or deg.max() <= cap:
            return self
        rank = np.arange(self.num_edges) - np.repeat(self.indptr[:-1], deg)
        keep = rank < cap
        new_deg = np.minimum(deg, cap)
        indptr = np.concatenate([[0], np.cumsum(new_deg)]).astype(np.int64)
        w = None if self.weights is None else self.weights[keep]
        return Relation(indptr, self.indices[keep], self.times[keep], w)

    def rows(self) -> np.ndarray:
        """Destination index of every stored edge (COO row)."""
        return np.repeat(np.arange(len(self.indptr) - 1, dtype=np.int64), self.degrees())


@dataclass
class SnapshotGraph:
    """The graph as of `time`: node id arrays, input features, and one CSR per relation."""

    time: pd.Timestamp
    member_ids: np.ndarray  # int64 sorted raw ids; node index = position
    job_ids: np.ndarray
    num_nodes: dict[str, int]
    relations: dict[EdgeType, Relation]
    skill_nodes: bool = True
    features: dict[str, np.ndarray] = field(default_factory=dict)  # member/job float inputs

    @property
    def max_edge_time(self) -> pd.Timestamp | None:
        """Newest edge timestamp in the graph (None for a graph without edges)."""
        newest = [int(r.times.max()) for r in self.relations.values() if r.num_edges]
        return pd.Timestamp(max(newest), tz="UTC") if newest else None

    def index_of(self, node_type: str, raw_ids: np.ndarray) -> np.ndarray:
        """Node index of member/job raw ids; -1 for ids absent from this snapshot."""
        ids = self.member_ids if node_type == "member" else self.job_ids
        raw_ids = np.asarray(raw_ids, dtype=np.int64)
        pos = np.searchsorted(ids, raw_ids).clip(0, max(len(ids) - 1, 0))
        found = (len(ids) > 0) & (ids[pos] == raw_ids) if len(ids) else np.zeros(len(raw_ids), bool)
        return np.where(found, pos, -1)

    def capped(self, cap: int) -> SnapshotGraph:
        """The graph with every neighbour list cut to its `cap` most recent entries."""
        rel = {k: r.capped(cap) for k, r in self.relations.items()}
        return SnapshotGraph(
            self.time,
            self.member_ids,
            self.job_ids,
            self.num_nodes,
            rel,
            self.skill_nodes,
            self.features,
        )


def _csr(src: np.ndarray, dst: np.ndarray, t: np.ndarray, n_dst: int, w=None) -> Relation:
    """Build a destination-major CSR sorted by (dst, time desc, src desc) — vectorised."""
    order = np.lexsort((-src, -t, dst))
    counts = np.bincount(dst, minlength=n_dst)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    weights = None if w is None else w[order].astype(np.float32)
    return Relation(indptr, src[order].astype(np.int64), t[order].astype(np.int64), weights)


def _dedupe(src, dst, t, w=None):
    """One edge per (src, dst): newest time, strongest weight."""
    if len(src) == 0:
        return src, dst, t, w
    frame = pd.DataFrame({"s": src, "d": dst, "t": t, "w": w if w is not None else 0})
    g = frame.groupby(["s", "d"], sort=False).agg(t=("t", "max"), w=("w", "max")).reset_index()
    ww = g["w"].to_numpy() if w is not None else None
    return g["s"].to_numpy(), g["d"].to_numpy(), g["t"].to_numpy(), ww


def _indexer(ids: np.ndarray):
    """raw id -> (row in the sorted `ids`, whether the id is a node)."""

    def index(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.searchsorted(ids, raw).clip(0, max(len(ids) - 1, 0))
        ok = ids[pos] == raw if len(ids) else np.zeros(len(raw), bool)
        return pos, ok

    return index


_EMPTY = (np.zeros(0, np.int64),) * 3


def _attribute_edges(members, jobs, id_maps: IdMaps, m_time, j_time) -> dict[EdgeType, tuple]:
    """Member/job -> title, company; job -> position (stamped with the node's creation)."""
    m_idx, j_idx = np.arange(len(members)), np.arange(len(jobs))
    return {
        ("member", "has_title", "title"): (
            m_idx,
            id_maps.lookup("title", members["title"]),
            m_time,
        ),
        ("member", "works_at", "company"): (
            m_idx,
            id_maps.lookup("company", members["company"]),
            m_time,
        ),
        ("job", "has_title", "title"): (j_idx, id_maps.lookup("title", jobs["title"]), j_time),
        ("job", "at_company", "company"): (
            j_idx,
            id_maps.lookup("company", jobs["company"]),
            j_time,
        ),
        ("job", "is_position", "position"): (
            j_idx,
            id_maps.lookup("position", position_key(jobs["company"], jobs["title"])),
            j_time,
        ),
    }


def _position_edges(tables: Tables, members, id_maps: IdMaps, m_time, cut, member_index) -> dict:
    """member -> position (every position started before the cut, plus the current profile
    one) and position -> next position (consecutive positions of one member)."""
    held_src = [np.arange(len(members))]
    held_dst = [id_maps.lookup("position", position_key(members["company"], members["title"]))]
    held_t = [m_time]
    trans = _EMPTY
    if tables.member_positions is not None and len(tables.member_positions):
        pos = tables.member_positions
        pos = pos[pd.to_datetime(pos["start_at"], utc=True) < cut]
        pi, ok = member_index(pos["member_id"].to_numpy(np.int64))
        pos, pi = pos[ok], pi[ok]
        p_id = id_maps.lookup("position", position_key(pos["company"], pos["title"]))
        p_t = ns_array(pos["start_at"])
        held_src.append(pi), held_dst.append(p_id), held_t.append(p_t)
        order = np.lexsort((p_t, pi))
        pi_o, pid_o, pt_o = pi[order], p_id[order], p_t[order]
        same = pi_o[1:] == pi_o[:-1]
        trans = (pid_o[:-1][same], pid_o[1:][same], pt_o[1:][same])
    return {
        ("member", "held", "position"): _dedupe(
            np.concatenate(held_src), np.concatenate(held_dst), np.concatenate(held_t)
        )[:3],
        ("position", "next", "position"): _dedupe(*trans)[:3],
    }


def _skill_edges(tables: Tables, id_maps: IdMaps, top_skills: int, sides) -> dict:
    """member -> skill and job -> skill: each node's top skills, stamped with its creation."""
    edges = {}
    for table, key, index_fn, rel, t_src in sides:
        if table is None or not len(table):
            edges[rel] = _EMPTY
            continue
        top = top_skill_rows(table, key, top_skills)
        si, ok = index_fn(top[key].to_numpy(np.int64))
        top, si = top[ok], si[ok]
        edges[rel] = _dedupe(si, id_maps.lookup("skill", top["skill"]), t_src[si])[:3]
    return edges


def _interaction_edges(tables: Tables, cut, member_index, job_index) -> dict:
    """member -> job engagements (weighted by action) and job -> member recruiter actions."""
    eng = tables.engagements
    eng = eng[eng["action"].isin(list(ENGAGEMENT_WEIGHTS)).to_numpy()]
    eng = eng[pd.to_datetime(eng["at"], utc=True) < cut]
    mi, ok_m = member_index(eng["member_id"].to_numpy(np.int64))
    ji, ok_j = job_index(eng["job_id"].to_numpy(np.int64))
    ok = ok_m & ok_j
    weight = eng["action"].map(ENGAGEMENT_WEIGHTS).to_numpy(np.float32)[ok]
    engaged = _dedupe(mi[ok], ji[ok], ns_array(eng["at"])[ok], weight)
    recruited = _EMPTY
    if tables.recruiter_actions is not None and len(tables.recruiter_actions):
        rec = tables.recruiter_actions
        rec = rec[pd.to_datetime(rec["at"], utc=True) < cut]
        ji, ok_j = job_index(rec["job_id"].to_numpy(np.int64))
        mi, ok_m = member_index(rec["member_id"].to_numpy(np.int64))
        ok = ok_m & ok_j
        recruited = _dedupe(ji[ok], mi[ok], ns_array(rec["at"])[ok])[:3]
    return {("member", "engaged", "job"): engaged, ("job", "recruited", "member"): recruited}


def _relations(edges: dict, num_nodes: dict, skill_nodes: bool) -> dict[EdgeType, Relation]:
    """Every edge type as CSR by destination; a reverse type reuses its forward edges."""
    relations: dict[EdgeType, Relation] = {}
    for et in edge_types(skill_nodes):
        if et in edges:
            src, dst, t, *w = edges[et]
        else:
            dst, src, t, *w = edges[reverse(et)]
        relations[et] = _csr(
            np.asarray(src, np.int64),
            np.asarray(dst, np.int64),
            np.asarray(t, np.int64),
            num_nodes[et[2]],
            w[0] if w else None,
        )
    return relations


def build_graph(
    tables: Tables,
    *,
    time: datetime | pd.Timestamp,
    id_maps: IdMaps,
    top_skills: int = _GNN.top_skills,
    skill_nodes: bool = True,
    node_time: datetime | pd.Timestamp | None = None,
) -> SnapshotGraph:
    """Build the snapshot graph from every row with timestamp < `time`.

    Members created and jobs posted before `node_time` (default `time`) are nodes; a node that
    exists only because `node_time > time` keeps its attribute edges (used by the offline
    evaluation to embed jobs posted during a window). Attribute values are mapped through the
    frozen `id_maps` (unseen values go to the OOV bucket 0).
    """
    from gnn_encoder.features import job_features, member_features

    cut = (
        pd.Timestamp(time).tz_convert("UTC")
        if pd.Timestamp(time).tzinfo
        else pd.Timestamp(time, tz="UTC")
    )
    node_cut = cut if node_time is None else pd.Timestamp(node_time).tz_convert("UTC")
    members = tables.members[pd.to_datetime(tables.members["created_at"], utc=True) < node_cut]
    jobs = tables.jobs[pd.to_datetime(tables.jobs["posted_at"], utc=True) < node_cut]
    members = members.sort_values("member_id")
    jobs = jobs.sort_values("job_id")
    member_ids = members["member_id"].to_numpy(np.int64)
    job_ids = jobs["job_id"].to_numpy(np.int64)
    num_nodes = {"member": len(member_ids), "job": len(job_ids)}
    num_nodes.update({t: id_maps.size(t) for t in ATTRIBUTE_TYPES})
    m_time, j_time = ns_array(members["created_at"]), ns_array(jobs["posted_at"])
    member_index, job_index = _indexer(member_ids), _indexer(job_ids)

    edges = _attribute_edges(members, jobs, id_maps, m_time, j_time)
    edges.update(_position_edges(tables, members, id_maps, m_time, cut, member_index))
    if skill_nodes:
        sides = (
            (
                tables.member_skills,
                "member_id",
                member_index,
                ("member", "has_skill", "skill"),
                m_time,
            ),
            (tables.job_skills, "job_id", job_index, ("job", "requires_skill", "skill"), j_time),
        )
        edges.update(_skill_edges(tables, id_maps, top_skills, sides))
    edges.update(_interaction_edges(tables, cut, member_index, job_index))
    features = {
        "member": member_features(members, id_maps),
        "job": job_features(jobs, id_maps),
    }
    relations = _relations(edges, num_nodes, skill_nodes)
    return SnapshotGraph(cut, member_ids, job_ids, num_nodes, relations, skill_nodes, features)
