"""The holders index keeps a node that sits in two of a holder's lists when it leaves one."""

from __future__ import annotations

import numpy as np

from nearline.backends import SqliteBackend
from nearline.state import GraphState
from nearline.updates import Edge, GraphDelta


def test_holder_survives_leaving_one_of_two_lists():
    state = GraphState(SqliteBackend(":memory:"), cap=1)
    feats = np.zeros(3, np.float32)
    m1, m2, j9 = ("member", 1), ("member", 2), ("job", 9)
    nodes = GraphDelta(nodes=[(m1, feats), (m2, feats), (j9, feats)])
    # member 1 engaged with job 9, and job 9's recruiter contacted member 1: member 1 is in
    # job 9's "engaged" list and in its "rev_recruited" list
    both = GraphDelta(edges=[Edge(m1, "engaged", j9, 10), Edge(j9, "recruited", m1, 11)])
    state.apply([nodes, both], (1, 0))
    assert state.holders([m1]) == {j9}
    # member 2 engages later: with cap 1 it pushes member 1 out of job 9's "engaged" list only
    result = state.apply([GraphDelta(edges=[Edge(m2, "engaged", j9, 20)])], (2, 0))
    assert j9 in result.changed
    engaged = state.neighbours(("member", "engaged", "job"), np.array([9]), 1)
    recruited = state.neighbours(("member", "rev_recruited", "job"), np.array([9]), 1)
    assert engaged.tolist() == [[2]] and recruited.tolist() == [[1]]
    # member 1 still sits in job 9's ego graph, so a change around it must reach job 9
    assert j9 in state.holders([m1])
    assert j9 in state.holders([m2])
