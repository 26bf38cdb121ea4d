import pandas as pd
from handmade import hand_tables, ts

from gnn_encoder.graph import build_graph
from gnn_encoder.id_maps import OOV, IdMaps, build_id_maps


def test_unseen_values_map_to_the_oov_bucket():
    maps = build_id_maps(hand_tables(), before=ts(8))
    assert maps.lookup("title", ["eng", "pm", "designer"]).tolist() == [1, 3, OOV]
    assert maps.size("title") == 4  # eng, intern, pm + OOV


def test_id_maps_are_stable_across_snapshots_and_a_save_round_trip(tiny_tables):
    t_gnn_end = pd.Timestamp("2026-01-29", tz="UTC")
    maps = build_id_maps(tiny_tables, before=t_gnn_end)
    restored = IdMaps.from_dict(maps.to_dict())
    early = build_graph(tiny_tables, time=t_gnn_end, id_maps=maps)
    late = build_graph(tiny_tables, time=pd.Timestamp("2026-02-12", tz="UTC"), id_maps=restored)
    rel = ("title", "rev_has_title", "job")  # rows = jobs, one title each
    # the same job keeps the same title id in both snapshots
    common = early.job_ids
    e_rel, l_rel = early.relations[rel], late.relations[rel]
    e_title = e_rel.indices[e_rel.indptr[:-1]]
    l_idx = late.index_of("job", common)
    l_title = l_rel.indices[l_rel.indptr[l_idx]]
    assert (e_title == l_title).all()
    assert early.num_nodes["title"] == late.num_nodes["title"] == maps.size("title")


def test_new_job_with_unseen_title_uses_oov_node():
    t = hand_tables()
    maps = build_id_maps(t, before=ts(8))
    g = build_graph(t, time=ts(10), id_maps=maps)
    row = g.index_of("job", [102])[0]
    rel = g.relations[("title", "rev_has_title", "job")]
    assert rel.indices[rel.indptr[row] : rel.indptr[row + 1]].tolist() == [OOV]
