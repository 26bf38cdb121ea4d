import numpy as np
import torch
from handmade import hand_tables, ts

from gnn_encoder.ego import EgoEncoder, SnapshotLookup, build_ego_inputs, ego_slots, input_names
from gnn_encoder.features import feature_dims
from gnn_encoder.graph import ATTRIBUTE_TYPES, build_graph, edge_types, relations_into
from gnn_encoder.id_maps import build_id_maps
from gnn_encoder.inference import embed_graph
from gnn_encoder.model import LinkSageEncoder


def _graph():
    t = hand_tables()
    maps = build_id_maps(t, before=ts(8))
    return maps, build_graph(t, time=ts(8), id_maps=maps, top_skills=2)


def test_slots_follow_relations_into_each_type():
    slots = ego_slots("job")
    hop1 = [s for s in slots if len(s.path) == 1]
    assert [s.path[0] for s in hop1] == list(relations_into("job"))
    names = input_names("job")
    assert names[0] == "t_x" and names[1:3] == ["h0_x", "h0_mask"]


def test_build_ego_inputs_pads_and_masks_by_hand():
    maps, g = _graph()
    lk = SnapshotLookup(g)
    inp = build_ego_inputs("job", np.array([100, 101]), lk, lk, cap=3)
    i = list(relations_into("job")).index(("member", "engaged", "job"))
    mask = inp[f"h{i}_mask"]
    assert mask.tolist() == [[1, 1, 0], [1, 0, 0]]  # job 100: members 10, 11; job 101: member 12
    x = inp[f"h{i}_x"]
    np.testing.assert_array_equal(x[0, 0], g.features["member"][0])  # newest first: member 10
    np.testing.assert_array_equal(x[0, 2], 0)
    assert inp["t_x"].shape == (2, feature_dims(maps)["job"])
    # hop 2 of a padded slot is all padding
    j = list(relations_into("member")).index(("skill", "rev_has_skill", "member"))
    assert inp[f"h{i}_{j}_mask"][1, 1:].sum() == 0


def test_ego_encoder_equals_layerwise_inference():
    torch.manual_seed(0)
    maps, g = _graph()
    enc = LinkSageEncoder(
        edge_types=list(edge_types()),
        feature_dims=feature_dims(maps),
        vocab_sizes={k: maps.size(k) for k in ATTRIBUTE_TYPES},
        hidden_dim=8,
        embedding_dim=4,
    )
    emb = embed_graph(enc, g, cap=1)
    lk = SnapshotLookup(g.capped(1))
    inp = build_ego_inputs("member", g.member_ids, lk, lk, cap=1)
    out = EgoEncoder(enc, "member")(*[torch.from_numpy(v) for v in inp.values()])
    np.testing.assert_allclose(out.detach().numpy(), emb["member"], atol=1e-5)
