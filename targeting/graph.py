"""The segment graph of confirmed hires, and personalized PageRank over it.

Nodes: member segments, job segments, and the attribute values they are made of (title, band,
location; one vocabulary for members and jobs). Edges, symmetric and weighted:
- each segment to its attribute values (weight 1): the taxonomy, which lets a walk reach a
  segment nobody was hired from yet through the segments it shares a title or place with;
- each confirmed hire: the member's segment to the job's segment, and the member's title to the
  job's title (weight = number of hires): where people of one kind were hired.
A promoted job's segment seeds a personalized PageRank (power iteration on scipy.sparse); the
score of every member segment says how strongly the hires link it to the job's segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

ATTRIBUTES = ("title", "band", "location")
JOB_BATCH = 64  # seed columns per power iteration: bounds the dense (nodes x jobs) block


@dataclass(frozen=True)
class SegmentGraph:
    """Node names (`m:<segment>`, `j:<segment>`, `title:..`, `band:..`, `location:..`) and the
    symmetric weight matrix over them."""

    nodes: pd.Index
    weights: sp.csr_matrix
    hire_edges: int  # distinct (member segment, job segment) pairs with a hire

    def index_of(self, names: np.ndarray) -> np.ndarray:
        """Node index of each name (-1 when absent)."""
        return self.nodes.get_indexer(names)


def _attribute_edges(prefix: str, segs: pd.DataFrame) -> pd.DataFrame:
    """Segment -> attribute-value edges of one side (an empty value makes no edge)."""
    segs = segs.drop_duplicates("segment")
    parts = []
    for attr in ATTRIBUTES:
        values = segs[attr].astype(str)
        keep = values != ""
        parts.append(
            pd.DataFrame(
                {"a": prefix + segs.loc[keep, "segment"], "b": f"{attr}:" + values[keep], "w": 1.0}
            )
        )
    return pd.concat(parts, ignore_index=True)


def _hired_side(hires: pd.DataFrame, side: str) -> pd.DataFrame:
    """One side's (`member` or `job`) segments of the hires, named as in member/job_segments."""
    return pd.DataFrame({c: hires[f"{side}_{c}"] for c in (*ATTRIBUTES, "segment")})


def build_segment_graph(
    member_segs: pd.DataFrame, job_segs: pd.DataFrame, hires: pd.DataFrame
) -> SegmentGraph:
    """The graph over `member_segs` (the audience pool), `job_segs` (the jobs to target) and the
    segments of `hires` (member_title, member_band, member_location, member_segment, and the
    same four of the job, per hire; see `targeting.audiences.hire_segments`)."""
    member_side = pd.concat([member_segs, _hired_side(hires, "member")], ignore_index=True)
    job_side = pd.concat([job_segs, _hired_side(hires, "job")], ignore_index=True)
    hire_seg = pd.DataFrame(
        {"a": "m:" + hires["member_segment"], "b": "j:" + hires["job_segment"], "w": 1.0}
    )
    cross = hires[(hires["member_title"] != hires["job_title"]) & (hires["member_title"] != "")]
    cross = cross[cross["job_title"] != ""]
    hire_title = pd.DataFrame(
        {"a": "title:" + cross["member_title"], "b": "title:" + cross["job_title"], "w": 1.0}
    )
    edges = pd.concat(
        [
            _attribute_edges("m:", member_side),
            _attribute_edges("j:", job_side),
            hire_seg,
            hire_title,
        ],
        ignore_index=True,
    )
    nodes = pd.Index(pd.unique(pd.concat([edges["a"], edges["b"]], ignore_index=True)))
    a, b = nodes.get_indexer(edges["a"]), nodes.get_indexer(edges["b"])
    w = edges["w"].to_numpy(dtype=np.float64)
    n = len(nodes)
    # summing duplicates: a pair hired twice weighs 2; both directions, a walk goes either way
    weights = sp.coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
    weights.sum_duplicates()
    pairs = len(hire_seg.drop_duplicates(["a", "b"]))
    return SegmentGraph(nodes=nodes, weights=weights, hire_edges=pairs)


def personalized_pagerank(
    graph: SegmentGraph,
    seeds: np.ndarray,
    restart: float,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> np.ndarray:
    """(nodes x seeds) personalized PageRank: column k is the stationary distribution of a walk
    that follows edges in proportion to their weight and jumps back to node `seeds[k]` with
    probability `restart` at each step (a node without edges sends its walk back too)."""
    degree = np.asarray(graph.weights.sum(axis=1)).ravel()
    inv = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    walk_t = (sp.diags(inv) @ graph.weights).T.tocsr()  # column-stochastic transitions
    dangling = degree == 0
    n = len(graph.nodes)
    out = np.zeros((n, len(seeds)))
    for lo in range(0, len(seeds), JOB_BATCH):
        cols = np.asarray(seeds[lo : lo + JOB_BATCH])
        e = np.zeros((n, len(cols)))
        e[cols, np.arange(len(cols))] = 1.0
        x = e.copy()
        for _ in range(max_iter):
            lost = x[dangling].sum(axis=0)
            nxt = restart * e + (1 - restart) * (walk_t @ x + e * lost)
            done = np.abs(nxt - x).sum(axis=0).max() < tol
            x = nxt
            if done:
                break
        out[:, lo : lo + len(cols)] = x
    return out
