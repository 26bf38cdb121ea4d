"""The segment graph: personalized PageRank as networkx computes it, and an audience that
favours the member segments hires link to the job's segment."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from targeting.audiences import graph_audiences, hire_segments
from targeting.graph import build_segment_graph, personalized_pagerank
from targeting.hires import confirmed_hires
from targeting.segments import job_segments, member_segments
from tests.targeting.handmade import day, events, jobs, members, tables

TEST_START = day(30)


def _marketplace(with_hires: bool):
    """Analysts were hired into data engineer jobs; chefs and nurses never were. All share one
    place and band, so only the hires tell analysts from chefs."""
    pool = [(1, "data engineer", 2, "paris")]
    pool += [(i, "analyst", 2, "paris") for i in (20, 21, 22)]
    pool += [(i, "chef", 2, "paris") for i in (10, 11, 12)]  # lower ids: they win every tie
    pool += [(i, "nurse", 2, "paris") for i in (30, 31)]
    j = jobs([(100, "data engineer", "acme", 2, "paris", False, 0, 20),
              (101, "data engineer", "acme", 3, "paris", False, 0, 20),
              (200, "data engineer", "beta", 2, "paris", True, 25, 60)])  # fmt: skip
    e = events([(20, 100, "apply", 1), (21, 101, "apply", 2)])
    hb = events([(20, 100, "positive_hearing_back", 3), (21, 101, "positive_hearing_back", 4)])
    return tables(members(pool), j, e, recruiter_actions=hb if with_hires else hb.iloc[:0])


def _audience(with_hires: bool, size: int) -> np.ndarray:
    t = _marketplace(with_hires)
    pool = member_segments(t.members, t.member_positions, TEST_START)
    target = job_segments(t.jobs[t.jobs["job_id"] == 200])
    hires = confirmed_hires(t, TEST_START)
    segs = hire_segments(hires, t.members, t.member_positions, t.jobs)
    graph = build_segment_graph(pool, target, segs)
    return graph_audiences(graph, pool, target, size, restart=0.3)[200]


def test_ppr_audience_favours_the_segments_hires_link_to_the_job():
    # the job's own title, and the title twice hired into the job's very segment (first: the
    # hires link it more strongly than a shared title does)
    with_hires = _audience(True, size=4)
    assert set(with_hires) == {1, 20, 21, 22}
    assert list(with_hires[:3]) == [20, 21, 22]
    # without hires, the analysts are no closer than chefs (who win the tie on ids)
    without = _audience(False, size=4)
    assert without[0] == 1 and set(without[1:]) == {10, 11, 12}


def test_audience_size_caps_and_every_member_is_in_the_pool():
    aud = _audience(True, size=100)
    assert len(aud) == 9 and len(set(aud)) == 9


@pytest.mark.parametrize("restart", [0.15, 0.5])
def test_personalized_pagerank_matches_networkx(restart):
    t = _marketplace(True)
    pool = member_segments(t.members, t.member_positions, TEST_START)
    target = job_segments(t.jobs[t.jobs["job_id"] == 200])
    segs = hire_segments(confirmed_hires(t, TEST_START), t.members, None, t.jobs)
    graph = build_segment_graph(pool, target, segs)
    seed = int(graph.index_of(np.array(["j:data engineer|1|paris"]))[0])
    ours = personalized_pagerank(graph, np.array([seed]), restart)[:, 0]
    g = nx.from_scipy_sparse_array(graph.weights)
    theirs = nx.pagerank(g, alpha=1 - restart, personalization={seed: 1.0}, tol=1e-12)
    assert ours.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(ours, [theirs[i] for i in range(len(ours))], atol=1e-8)


def test_an_empty_title_makes_no_title_edge():
    segs = pd.DataFrame(
        {"job_id": [1], "title": [""], "band": [1], "location": ["paris"], "segment": ["|1|paris"]}
    )
    pool = pd.DataFrame(
        {
            "member_id": [5],
            "title": ["x"],
            "band": [1],
            "location": ["lyon"],
            "segment": ["x|1|lyon"],
        }
    )
    empty = pd.DataFrame(columns=[f"{s}_{c}" for s in ("member", "job")
                                  for c in ("title", "band", "location", "segment")])  # fmt: skip
    graph = build_segment_graph(pool, segs, empty)
    assert "title:" not in set(graph.nodes)
