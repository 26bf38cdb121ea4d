"""Who a promoted job is shown to: one audience (member ids, best first) per job and method.

- `title_location`: advertiser-style targeting, the members with exactly the job's title in the
  job's location (any location for a remote job);
- `graph`: the members of the member segments most strongly linked to the job's segment by the
  hires graph (personalized PageRank, `targeting.graph`);
- `graph_gnn`: the graph audience's best part, widened with the members whose GNN embedding is
  most similar to the job's;
- `ebr`: the members whose GNN embedding is most similar to the job's (an embedding audience).
Every audience holds at most `size` members of the pool (members who exist when targeting).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from targeting.embeddings import Vectors
from targeting.graph import SegmentGraph, personalized_pagerank
from targeting.segments import band, segment_key, titles_at

REMOTE = "remote"  # a remote job's location: it matches every member (docs/contract.md)

Audiences = dict[int, np.ndarray]  # job_id -> member ids, best first


def _top(ids: np.ndarray, scores: np.ndarray, size: int) -> np.ndarray:
    """Positions of the `size` best scores, best first (ties: by id); a partial partition
    first, so a large pool is not sorted whole for every job."""
    cand = np.arange(len(scores))
    if len(scores) > size:  # every score at least the size-th best, ties at the cut included
        cand = np.flatnonzero(scores >= -np.partition(-scores, size - 1)[size - 1])
    return cand[np.lexsort((ids[cand], -scores[cand]))][:size]


def hire_segments(hires: pd.DataFrame, tables_members, positions, jobs) -> pd.DataFrame:
    """Each hire with both sides' segments: the member's at the application (title then held),
    the job's from `jobs`."""
    m = tables_members.set_index("member_id")
    j = jobs.set_index("job_id")
    member_title = titles_at(tables_members, positions, hires["member_id"], hires["applied_at"])
    out = pd.DataFrame(
        {
            "member_title": member_title,
            "member_band": band(hires["member_id"].map(m["seniority"])),
            "member_location": hires["member_id"].map(m["location"]).to_numpy(dtype=object),
            "job_title": hires["job_id"].map(j["title"]).to_numpy(dtype=object),
            "job_band": band(hires["job_id"].map(j["seniority"])),
            "job_location": hires["job_id"].map(j["location"]).to_numpy(dtype=object),
        }
    )
    for side in ("member", "job"):
        out[f"{side}_segment"] = segment_key(
            out[f"{side}_title"], out[f"{side}_band"], out[f"{side}_location"]
        )
    return out


def title_location(pool: pd.DataFrame, jobs: pd.DataFrame, size: int) -> Audiences:
    """Advertiser-style: the job's exact title, in its location (remote: anywhere)."""
    out: Audiences = {}
    by_title = pool.groupby("title", sort=False)
    for job in jobs.itertuples(index=False):
        if job.title == "" or job.title not in by_title.groups:
            out[int(job.job_id)] = np.array([], dtype=np.int64)
            continue
        same = pool.loc[by_title.groups[job.title]]
        if job.location != REMOTE:
            same = same[same["location"] == job.location]
        out[int(job.job_id)] = np.sort(same["member_id"].to_numpy())[:size]
    return out


def graph_audiences(
    graph: SegmentGraph, pool: pd.DataFrame, jobs: pd.DataFrame, size: int, restart: float
) -> Audiences:
    """The members of the best-scored member segments (ties: by member id), `size` at most."""
    seeds = graph.index_of("j:" + jobs["segment"].to_numpy(dtype=object))
    scores = personalized_pagerank(graph, seeds, restart)
    member_node = graph.index_of("m:" + pool["segment"].to_numpy(dtype=object))
    ids = pool["member_id"].to_numpy()
    out: Audiences = {}
    for k, job_id in enumerate(jobs["job_id"].to_numpy()):
        s = scores[member_node, k]
        best = _top(ids, s, size)
        out[int(job_id)] = ids[best[s[best] > 0]]
    return out


def ebr_audiences(members: Vectors, jobs: Vectors, pool_ids: np.ndarray, size: int) -> Audiences:
    """The pool members most similar (cosine) to each job with a vector (ties: by member id)."""
    in_pool = np.isin(members.ids, pool_ids)
    ids, vecs = members.ids[in_pool], members.vectors[in_pool]
    out: Audiences = {}
    for job_id, v in zip(jobs.ids, jobs.vectors, strict=True):
        out[int(job_id)] = ids[_top(ids, vecs @ v, size)]
    return out


def widen(graph_aud: Audiences, ebr_aud: Audiences, size: int, gnn_share: float) -> Audiences:
    """The first (1 - gnn_share) * size of the graph audience, then the best embedding matches
    not in it, up to `size` (a job without a vector keeps its graph audience)."""
    keep = int(np.ceil((1 - gnn_share) * size))
    out: Audiences = {}
    for job_id, members in graph_aud.items():
        head = members[:keep]
        extra = ebr_aud.get(job_id, np.array([], dtype=np.int64))
        extra = extra[~np.isin(extra, head)][: size - len(head)]
        out[job_id] = np.concatenate([head, extra]) if len(extra) else members
    return out
