import numpy as np
import pytest
import torch
from handmade import hand_tables, ts

from gnn_encoder.features import feature_dims
from gnn_encoder.graph import ATTRIBUTE_TYPES, build_graph, edge_types
from gnn_encoder.id_maps import build_id_maps
from gnn_encoder.inference import adjacency, embed_graph, fused_adjacency
from gnn_encoder.model import LinkSageEncoder


def _encoder(maps, *, hidden_dim=8, embedding_dim=4, aggregation="mean") -> LinkSageEncoder:
    return LinkSageEncoder(
        edge_types=list(edge_types()),
        feature_dims=feature_dims(maps),
        vocab_sizes={k: maps.size(k) for k in ATTRIBUTE_TYPES},
        hidden_dim=hidden_dim,
        embedding_dim=embedding_dim,
        aggregation=aggregation,
    )


def _setup(aggregation="mean", day=10):
    torch.manual_seed(0)
    t = hand_tables()
    maps = build_id_maps(t, before=ts(8))
    g = build_graph(t, time=ts(day), id_maps=maps, top_skills=2)
    return t, maps, g, _encoder(maps, aggregation=aggregation)


def test_sparse_csr_adjacency_is_the_transposed_edge_index():
    _, _, g, _ = _setup()
    sp, ei = adjacency(g, "sparse"), adjacency(g, "edge_index")
    for et in g.relations:
        dense = sp[et].to_dense()
        expect = torch.zeros_like(dense)
        expect[ei[et][1], ei[et][0]] = 1
        assert torch.equal(dense, expect)


@pytest.mark.parametrize("aggregation", ["mean", "attention"])
@pytest.mark.parametrize("layout", ["sparse", "fused"])
def test_every_layout_agrees_with_pyg_layers_on_edge_index(aggregation, layout):
    _, _, g, enc = _setup(aggregation)
    with torch.no_grad():  # non-zero biases so the fused bias sum is exercised
        for p in enc.parameters():
            p.add_(0.1 * torch.randn_like(p))
    a = embed_graph(enc, g, cap=2, layout=layout)
    b = embed_graph(enc, g, cap=2, layout="edge_index")
    for t in ("member", "job"):
        assert np.abs(a[t]).max() > 1e-3
        np.testing.assert_allclose(a[t], b[t], atol=1e-5)


def test_fused_layout_matches_pyg_on_the_tiny_marketplace(tiny_tables):
    """Both projection orders (sources fewer than destinations and not) on a real graph."""
    torch.manual_seed(1)
    t = tiny_tables
    at = t.engagements["at"].quantile(0.5)
    maps = build_id_maps(t, before=at)
    g = build_graph(t, time=at, id_maps=maps)
    enc = _encoder(maps, hidden_dim=16, embedding_dim=8)
    with torch.no_grad():  # non-zero biases: the input bias is carried through every path
        for p in enc.parameters():
            p.add_(0.1 * torch.randn_like(p))
    fused = fused_adjacency(g.capped(5), list(g.relations))
    entity = ("member", "job")
    stacked_from_entities = [e for r, _ in fused.stacked.values() for e in r if e[0] in entity]
    compressed = [e for e, (_, r) in fused.post.items() if r is not None and e[0] in entity]
    full = [e for e, (_, r) in fused.post.items() if r is None]
    assert stacked_from_entities and compressed and full  # every path of the fused layer runs
    a = embed_graph(enc, g, cap=5, layout="fused")
    b = embed_graph(enc, g, cap=5, layout="sparse")
    for k in ("member", "job"):
        np.testing.assert_allclose(a[k], b[k], atol=1e-5)


def test_fused_layer_with_linear_inputs_on_every_path_equals_heteroconv():
    """A hand-made graph where raw member inputs (LinearInput) meet each path: a stacked
    projection (members into the more numerous jobs), a post relation over every row (members
    into fewer titles, all with a member) and over some rows (members into companies), roots."""
    from torch_geometric.nn import HeteroConv, SAGEConv

    from gnn_encoder.graph import Relation, SnapshotGraph
    from gnn_encoder.inference import LinearInput, _fused_mean_layer, _summed_layer

    def rel(lists):
        indptr = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
        idx = np.asarray([i for x in lists for i in x], np.int64)
        return Relation(indptr, idx, np.zeros(len(idx), np.int64))

    relations = {
        ("member", "engaged", "job"): rel([[0], [1, 2], [], [0, 1, 2], [2], []]),  # 3 < 4 rows
        ("member", "has_title", "title"): rel([[0, 1], [2]]),  # full, 3 members > 2 titles
        ("member", "works_at", "company"): rel([[0, 1], [], [2]]),  # rows 0 and 2 only
        ("job", "rev_engaged", "member"): rel([[0, 3], [1, 3], [1, 3, 4]]),
    }
    nodes = {"member": 3, "job": 6, "title": 2, "company": 3}
    g = SnapshotGraph(None, np.arange(3), np.arange(6), nodes, relations)
    fused = fused_adjacency(g, list(relations))
    assert [e for r, _ in fused.stacked.values() for e in r] == [("member", "engaged", "job")]
    assert fused.post[("member", "has_title", "title")][1] is None
    assert fused.post[("member", "works_at", "company")][1].tolist() == [0, 2]
    torch.manual_seed(0)
    conv = HeteroConv({e: SAGEConv((4, 4), 5) for e in relations}, aggr="sum").eval()
    inputs = torch.nn.Linear(7, 4)
    with torch.no_grad():
        for p in [*conv.parameters(), *inputs.parameters()]:
            p.add_(0.2 * torch.randn_like(p))  # non-zero biases everywhere
        feats = torch.randn(3, 7)
        x = {t: torch.randn(n, 4) for t, n in nodes.items()}
        x["member"] = inputs(feats)
        expect = _summed_layer(conv, x, adjacency(g, "sparse"))
        x["member"] = LinearInput(feats, inputs.weight, inputs.bias)
        got = _fused_mean_layer(conv, x, fused)
    assert set(got) == set(expect)
    for t in expect:
        torch.testing.assert_close(got[t], expect[t], atol=1e-5, rtol=1e-5)


def test_unknown_layout_is_refused_by_name():
    _, _, g, enc = _setup()
    with pytest.raises(ValueError, match="layout must be one of"):
        embed_graph(enc, g, cap=2, layout="csc")


def test_first_layer_mean_matches_hand_computation():
    """Layer 1 of job 100 over the engaged relation = lin_l(mean of its members) + lin_r(job)."""
    _, _, g, enc = _setup(day=8)
    from gnn_encoder.sampler import full_inputs

    h0 = enc.inputs(full_inputs(g))
    conv = enc.conv1.convs[("member", "engaged", "job")]
    adj = adjacency(g, "sparse")[("member", "engaged", "job")]
    out = conv((h0["member"], h0["job"]), adj)
    by_hand = conv.lin_l((h0["member"][0] + h0["member"][1]) / 2) + conv.lin_r(h0["job"][0])
    torch.testing.assert_close(out[0], by_hand)


def test_new_job_gets_a_nonzero_embedding_from_attributes_alone():
    _, _, g, enc = _setup(day=10)
    row = g.index_of("job", [102])[0]  # posted day 8, no engagements, unseen title
    assert g.relations[("member", "engaged", "job")].degrees()[row] == 0
    emb = embed_graph(enc, g, cap=5)
    assert np.abs(emb["job"][row]).sum() > 0
    assert not np.allclose(emb["job"][row], emb["job"][0])
