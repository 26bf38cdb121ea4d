import numpy as np
import pandas as pd
import pytest
import torch
from handmade import hand_tables, ts

from gnn_encoder.batches import distinct_rows
from gnn_encoder.features import feature_dims
from gnn_encoder.graph import ATTRIBUTE_TYPES, build_graph, edge_types
from gnn_encoder.id_maps import build_id_maps
from gnn_encoder.inference import adjacency, embed_graph
from gnn_encoder.model import LinkSageEncoder, dropout, in_degrees
from gnn_encoder.sampler import NeighbourSampler, gather_inputs

ENGAGED = ("member", "engaged", "job")


def _encoder(maps, degree_features=True, aggregation="mean"):
    torch.manual_seed(0)
    return LinkSageEncoder(
        edge_types=list(edge_types()),
        feature_dims=feature_dims(maps),
        vocab_sizes={k: maps.size(k) for k in ATTRIBUTE_TYPES},
        hidden_dim=8,
        embedding_dim=4,
        aggregation=aggregation,
        degree_features=degree_features,
    )


def _two_jobs_graph(maps, members_of_job0: int):
    """Two identical jobs; job 0 engaged by `members_of_job0` identical members, job 1 by one."""
    dims = feature_dims(maps)
    n_m = members_of_job0 + 1
    x = {"member": torch.ones(n_m, dims["member"]), "job": torch.ones(2, dims["job"])}
    x |= {t: torch.zeros(1, dtype=torch.long) for t in ATTRIBUTE_TYPES}
    ei = {et: torch.zeros((2, 0), dtype=torch.long) for et in edge_types()}
    ei[ENGAGED] = torch.tensor([list(range(n_m)), [0] * members_of_job0 + [1]])
    return x, ei


def test_mean_aggregation_cannot_count_neighbours_but_degree_features_can():
    maps = build_id_maps(hand_tables(), before=ts(8))
    x, ei = _two_jobs_graph(maps, members_of_job0=3)
    plain = _encoder(maps, degree_features=False).eval()
    out = plain(x, ei)["job"]
    torch.testing.assert_close(out[0], out[1])  # 3 identical neighbours = 1 neighbour
    enc = _encoder(maps).eval()
    h1 = enc.layer1(enc.inputs(x), ei)["job"]
    col = enc.degree_relations["job"].index(ENGAGED)
    w = enc.degree["job"].weight[:, col]
    pre = enc.conv1(enc.inputs(x), ei)["job"]  # before the degree term and ReLU
    by_hand = torch.relu(pre + torch.outer(torch.log1p(torch.tensor([3.0, 1.0])), w))
    torch.testing.assert_close(h1, by_hand)
    assert not torch.allclose(enc(x, ei)["job"][0], enc(x, ei)["job"][1])


def test_in_degrees_are_the_capped_list_lengths_in_both_layouts():
    t = hand_tables()
    g = build_graph(t, time=ts(10), id_maps=build_id_maps(t, before=ts(8)), top_skills=2)
    capped = g.capped(1)
    for layout in ("sparse", "edge_index"):
        deg = in_degrees(adjacency(capped, layout), capped.num_nodes)
        for et, rel in capped.relations.items():
            assert deg[et].tolist() == rel.degrees().tolist(), (layout, et)
    assert deg[ENGAGED].tolist()[0] == 1 and g.relations[ENGAGED].degrees()[0] == 2


@pytest.mark.parametrize("aggregation", ["mean", "attention"])
def test_sampled_training_forward_equals_layerwise_inference_when_nothing_is_cut(aggregation):
    """Fan-outs and cap above every degree: the sampled batch holds each seed's whole 2-hop
    graph, so training's forward (sampled edges + the sampler's degrees) gives the embedding
    `embed_graph` gives (its degrees from the adjacency)."""
    t = hand_tables()
    maps = build_id_maps(t, before=ts(8))
    g = build_graph(t, time=ts(10), id_maps=maps, top_skills=2)
    enc = _encoder(maps, aggregation=aggregation).eval()
    seeds = {"member": np.arange(g.num_nodes["member"]), "job": np.arange(g.num_nodes["job"])}
    sub = NeighbourSampler(g, [50, 50], degree_cap=50).sample(seeds)
    with torch.no_grad():
        out = enc(gather_inputs(g, sub.node_ids), sub.edge_index, sub.degrees)
    full = embed_graph(enc, g, cap=50)
    for k in ("member", "job"):
        np.testing.assert_allclose(out[k][: len(seeds[k])].numpy(), full[k], atol=1e-5)


def _tiny_batch(tiny_tables, maps=None):
    t = pd.Timestamp("2026-01-29", tz="UTC")
    maps = maps or build_id_maps(tiny_tables, before=t)
    g = build_graph(tiny_tables, time=t, id_maps=maps)
    m, j = np.arange(0, 90, 3), np.arange(0, 25)
    sub = NeighbourSampler(g, [4, 3], degree_cap=6).sample(
        {"member": m, "job": j}, exclude_pairs=(m[:25], j), rng=np.random.default_rng(0)
    )
    return maps, g, sub


@pytest.mark.parametrize("aggregation", ["mean", "attention"])
def test_trimmed_forward_equals_the_full_forward_at_the_seeds(tiny_tables, aggregation):
    """With the per-hop counts, each layer runs only for the nodes the next reads (and mean
    aggregation on CPU through gnn_encoder.sampled): the seeds' embeddings do not change."""
    maps, g, sub = _tiny_batch(tiny_tables)
    enc = _encoder(maps, aggregation=aggregation).eval()
    x = gather_inputs(g, sub.node_ids)
    with torch.no_grad():
        full = enc(x, sub.edge_index, sub.degrees)
        trimmed = enc(x, sub.edge_index, sub.degrees, sub.num_sampled_nodes, sub.num_sampled_edges)
    for t in ("member", "job"):
        assert trimmed[t].shape[0] == sub.num_seeds[t]
        torch.testing.assert_close(trimmed[t], full[t][: sub.num_seeds[t]], atol=1e-5, rtol=1e-5)


def test_trimmed_mean_layers_give_pyg_s_gradients(tiny_tables):
    """gnn_encoder.sampled.mean_layer reorders SAGEConv's arithmetic (stacked CSRs, projection
    before aggregation): every parameter's gradient is still PyG's."""
    maps, g, sub = _tiny_batch(tiny_tables)
    x = gather_inputs(g, sub.node_ids)
    grads = []
    for trimmed in (False, True):
        enc = _encoder(maps).train()  # dropout 0: the same function in both passes
        counts = (sub.num_sampled_nodes, sub.num_sampled_edges) if trimmed else (None, None)
        out = enc(x, sub.edge_index, sub.degrees, *counts)
        loss = sum((out[t][: sub.num_seeds[t]] ** 2).sum() for t in ("member", "job"))
        loss.backward()
        grads.append({n: p.grad for n, p in enc.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and len(grads[0]) > 20
    for name, grad in grads[0].items():
        torch.testing.assert_close(grads[1][name], grad, atol=1e-5, rtol=1e-4, msg=name)


def test_input_rows_give_the_same_inputs_as_the_full_feature_matrix(tiny_tables):
    maps, g, sub = _tiny_batch(tiny_tables)
    enc = _encoder(maps)
    x = gather_inputs(g, sub.node_ids)
    table, row_of = distinct_rows(g.features["member"])
    rows = torch.from_numpy(row_of[sub.node_ids["member"].numpy()])
    with torch.no_grad():
        torch.testing.assert_close(
            enc.inputs({"member": table}, {"member": rows})["member"],
            enc.inputs({"member": x["member"]})["member"],
        )


def test_cpu_dropout_keeps_one_minus_p_scaled_and_follows_torch_s_seed():
    x = torch.ones(200, 500)
    torch.manual_seed(3)
    a = dropout(x, 0.3)
    torch.manual_seed(3)
    assert torch.equal(a, dropout(x, 0.3))
    kept = a > 0
    assert abs(kept.float().mean().item() - 0.7) < 0.005  # 100K draws: sd 0.0015
    torch.testing.assert_close(a[kept], torch.full_like(a[kept], 65536 / 45875))
    assert abs(a.mean().item() - 1.0) < 0.01  # inverted dropout keeps the mean
