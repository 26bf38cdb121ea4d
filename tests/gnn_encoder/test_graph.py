import numpy as np
import pandas as pd
from handmade import hand_tables, ts

from gnn_encoder.graph import build_graph, edge_types, relations_into, reverse
from gnn_encoder.id_maps import build_id_maps


def _graph(time, **kw):
    t = hand_tables()
    return build_graph(t, time=time, id_maps=build_id_maps(t, before=ts(8)), top_skills=2, **kw)


def _neigh(g, et, row):
    r = g.relations[et]
    return r.indices[r.indptr[row] : r.indptr[row + 1]].tolist()


def test_hand_graph_exact_neighbours():
    g = _graph(ts(8))
    assert g.member_ids.tolist() == [10, 11, 12]  # member 13 is created on day 9
    assert g.job_ids.tolist() == [100, 101]  # job 102 is posted on day 8 (not < day 8)
    # job 100 was engaged by member 10 (click + apply, deduped) and 11 (save); view is no edge
    assert _neigh(g, ("member", "engaged", "job"), 0) == [0, 1]  # newest first: day 5, day 4 06:00
    assert _neigh(g, ("member", "engaged", "job"), 1) == [2]
    assert g.relations[("member", "engaged", "job")].weights.tolist() == [3.0, 2.0, 3.0]
    # member 10's top-2 skills by score are python (0.9) and go (0.7), not sql (0.5)
    skills = g.relations[("skill", "rev_has_skill", "member")]
    ids = build_id_maps(hand_tables(), before=ts(8))
    assert sorted(_neigh(g, ("skill", "rev_has_skill", "member"), 0)) == sorted(
        ids.lookup("skill", ["python", "go"]).tolist()
    )
    assert skills.num_edges == 4
    # position transition beta/intern -> acme/eng of member 10
    nxt = ids.lookup("position", pd.Series(["acme\x1feng"]))[0]
    prev = ids.lookup("position", pd.Series(["beta\x1fintern"]))[0]
    assert _neigh(g, ("position", "next", "position"), nxt) == [prev]
    # recruiter action job 100 -> member 10
    assert _neigh(g, ("job", "recruited", "member"), 0) == [0]


def test_every_relation_has_its_reciprocal_with_the_same_edges():
    g = _graph(ts(8))
    for et, rel in g.relations.items():
        back = g.relations[reverse(et)]
        fwd = set(zip(rel.indices.tolist(), rel.rows().tolist(), strict=True))
        bwd = set(zip(back.rows().tolist(), back.indices.tolist(), strict=True))
        assert fwd == bwd, et


def test_snapshot_excludes_rows_at_or_after_s(tiny_tables):
    maps = build_id_maps(tiny_tables, before=pd.Timestamp("2026-01-29", tz="UTC"))
    for day in (10, 20, 29):
        s = pd.Timestamp(2026, 1, day, tz="UTC")
        g = build_graph(tiny_tables, time=s, id_maps=maps)
        assert g.max_edge_time < s
        for rel in g.relations.values():
            assert (rel.times < s.value).all()
        members = tiny_tables.members
        assert len(g.member_ids) == int((members["created_at"] < s).sum())
        eng = tiny_tables.engagements
        eng = eng[(eng["at"] < s) & eng["action"].isin(["click", "save", "apply"])]
        eng = eng[eng["job_id"].isin(g.job_ids) & eng["member_id"].isin(g.member_ids)]
        expected_pairs = len(eng.drop_duplicates(["member_id", "job_id"]))
        assert g.relations[("member", "engaged", "job")].num_edges == expected_pairs
        # an engagement exactly at s is excluded, one just before is kept
    t = hand_tables()
    assert ts(5) in set(t.engagements["at"])
    g5 = build_graph(t, time=ts(5), id_maps=build_id_maps(t, before=ts(8)))
    assert g5.relations[("member", "engaged", "job")].weights.tolist() == [
        2.0,
        1.0,
    ]  # save (newer), click; the apply at s is out


def test_rows_are_most_recent_first_and_capping_keeps_the_newest(tiny_tables):
    maps = build_id_maps(tiny_tables, before=pd.Timestamp("2026-01-29", tz="UTC"))
    g = build_graph(tiny_tables, time=pd.Timestamp("2026-01-29", tz="UTC"), id_maps=maps)
    rel = g.relations[("member", "has_title", "title")]  # a title's members
    for row in np.flatnonzero(rel.degrees() > 1)[:20]:
        t = rel.times[rel.indptr[row] : rel.indptr[row + 1]]
        assert (np.diff(t) <= 0).all()
    capped = g.capped(2).relations[("member", "has_title", "title")]
    assert capped.degrees().max() <= 2
    row = int(np.argmax(rel.degrees()))
    assert (
        capped.indices[capped.indptr[row] : capped.indptr[row + 1]].tolist()
        == rel.indices[rel.indptr[row] : rel.indptr[row] + 2].tolist()
    )


def test_no_skill_nodes_drops_every_skill_relation():
    g = _graph(ts(8), skill_nodes=False)
    assert not any("skill" in (et[0], et[2]) for et in g.relations)
    assert set(g.relations) == set(edge_types(skill_nodes=False))
    assert all("skill" not in e[0] for e in relations_into("member", skill_nodes=False))
