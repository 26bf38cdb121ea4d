import numpy as np
import pandas as pd
import pytest
import torch
from handmade import hand_tables, ts

from gnn_encoder.graph import MEMBER_JOB_RELATIONS, build_graph
from gnn_encoder.id_maps import build_id_maps
from gnn_encoder.sampler import NeighbourSampler, sample_rows
from tests.support.reference_sampler import python_loop_sample

# row 0: 0 neighbours, row 1: 2, row 2: 10 (ids 100..109)
INDPTR = np.array([0, 0, 2, 12])
INDICES = np.array([7, 8, *range(100, 110)])


def _rng(seed=0):
    return np.random.default_rng(seed)


def test_sample_rows_takes_all_when_degree_at_most_fanout():
    owner, nb = sample_rows(INDPTR, INDICES, np.array([0, 1]), 3, _rng())
    assert owner.tolist() == [1, 1] and nb.tolist() == [7, 8]


def test_sample_rows_respects_fanout_only_real_neighbours_without_replacement():
    rows = np.array([2] * 200 + [1])
    owner, nb = sample_rows(INDPTR, INDICES, rows, 4, _rng())
    for pos in range(201):
        got = nb[owner == pos].tolist()
        real = INDICES[INDPTR[rows[pos]] : INDPTR[rows[pos] + 1]].tolist()
        assert len(got) == min(4, len(real))
        assert len(set(got)) == len(got)  # without replacement
        assert set(got) <= set(real)


def test_sample_rows_is_uniform_and_seedable():
    rows = np.full(5000, 2)
    _, nb = sample_rows(INDPTR, INDICES, rows, 3, _rng(1))
    counts = np.bincount(nb - 100, minlength=10)
    expected = 5000 * 3 / 10  # each neighbour is in a 3-subset of 10 with p = 0.3
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected)
    _, again = sample_rows(INDPTR, INDICES, rows, 3, _rng(1))
    assert np.array_equal(nb, again)


def test_python_loop_reference_agrees_on_structure():
    owner, nb = python_loop_sample(
        INDPTR, INDICES, np.array([0, 1, 2]), 4, np.random.default_rng(0)
    )
    assert np.bincount(owner, minlength=3).tolist() == [0, 2, 4]


def _graph(tables, t):
    return build_graph(tables, time=t, id_maps=build_id_maps(tables, before=t))


def test_subgraph_edges_are_real_edges_and_fanouts_hold(tiny_tables):
    g = _graph(tiny_tables, pd.Timestamp("2026-01-29", tz="UTC"))
    s = NeighbourSampler(g, [3, 2], seed=0)
    seeds = {"member": torch.arange(0, 40), "job": torch.arange(0, 10)}
    sub = s.sample(seeds)
    assert sub.num_seeds["member"] == 40 and sub.num_seeds["job"] == 10
    assert torch.equal(sub.node_ids["member"][:40], seeds["member"])
    for et, ei in sub.edge_index.items():
        rel = g.relations[et]
        real = set(zip(rel.indices.tolist(), rel.rows().tolist(), strict=True))
        src = sub.node_ids[et[0]][ei[0]].tolist()
        dst = sub.node_ids[et[2]][ei[1]].tolist()
        assert set(zip(src, dst, strict=True)) <= real, et
        if ei.shape[1]:
            assert np.bincount(ei[1].numpy()).max() <= 3  # max over both hops' fanouts


def test_supervised_pairs_never_reach_their_own_batch():
    t = hand_tables()
    g = _graph(t, ts(8))
    s = NeighbourSampler(g, [10, 10], seed=0)
    m, j = torch.tensor([0]), torch.tensor([0])  # member 10 applied to job 100 and got a message
    sub = s.sample({"member": m, "job": j}, exclude_pairs=(m, j))
    for et in MEMBER_JOB_RELATIONS:
        ei = sub.edge_index[et]
        src = sub.node_ids[et[0]][ei[0]]
        dst = sub.node_ids[et[2]][ei[1]]
        mem, job = (src, dst) if et[0] == "member" else (dst, src)
        assert not ((mem == 0) & (job == 0)).any(), et
    # without the exclusion the edge is there
    full = s.sample({"member": m, "job": j})
    ei = full.edge_index[("member", "engaged", "job")]
    assert ((full.node_ids["member"][ei[0]] == 0) & (full.node_ids["job"][ei[1]] == 0)).any()


@pytest.mark.parametrize("fanout", [0, 1])
def test_tiny_fanouts(fanout):
    owner, nb = sample_rows(INDPTR, INDICES, np.array([2]), fanout, _rng())
    assert len(nb) == fanout


def test_sampled_degrees_count_the_full_capped_list_not_the_sample():
    g = _graph(hand_tables(), ts(8))  # job 100 <- members 10 (apply), 11 (save)
    engaged = ("member", "engaged", "job")
    seeds = {"job": torch.tensor([0])}
    sub = NeighbourSampler(g, [1, 1], seed=0).sample(seeds)
    assert sub.edge_index[engaged].shape[1] == 1  # fan-out 1: one sampled member
    assert sub.degrees[engaged][0] == 2  # but the degree is the full list's length
    capped = NeighbourSampler(g, [1, 1], seed=0, degree_cap=1).sample(seeds)
    assert capped.degrees[engaged][0] == 1


def test_sampled_degrees_drop_the_supervised_pairs():
    g = _graph(hand_tables(), ts(8))
    m, j = torch.tensor([0]), torch.tensor([0])  # member 10 <-> job 100: engaged + recruited
    sub = NeighbourSampler(g, [10, 10], seed=0).sample(
        {"member": m, "job": j}, exclude_pairs=(m, j)
    )
    deg = {
        et: dict(zip(sub.node_ids[et[2]].tolist(), d.tolist(), strict=True))
        for et, d in sub.degrees.items()
    }
    assert deg[("member", "engaged", "job")][0] == 1  # only member 11 is left
    assert deg[("job", "rev_engaged", "member")][0] == 0
    assert deg[("job", "recruited", "member")][0] == 0
    assert deg[("member", "rev_recruited", "job")][0] == 0
    title = ("member", "has_title", "title")  # other relations keep their full degrees
    full = g.relations[title].degrees()[sub.node_ids["title"].numpy()]
    assert np.array_equal(sub.degrees[title].numpy(), full) and full.sum() > 0


def test_sampled_degrees_equal_the_capped_graph_degrees(tiny_tables):
    g = _graph(tiny_tables, pd.Timestamp("2026-01-29", tz="UTC"))
    sub = NeighbourSampler(g, [3, 2], seed=0, degree_cap=4).sample(
        {"member": torch.arange(0, 40), "job": torch.arange(0, 10)}
    )
    capped = g.capped(4)
    for et, d in sub.degrees.items():
        expect = capped.relations[et].degrees()[sub.node_ids[et[2]].numpy()]
        assert np.array_equal(d.numpy(), expect), et
    assert max(int(d.max()) for d in sub.degrees.values() if len(d)) == 4


def _tiny_subgraph(tiny_tables, fanouts=(4, 3), seed=0, exclude=True):
    g = _graph(tiny_tables, pd.Timestamp("2026-01-29", tz="UTC"))
    m, j = np.arange(0, 80, 2), np.arange(0, 30)
    pairs = (m[:30], j) if exclude else None
    sub = NeighbourSampler(g, list(fanouts)).sample(
        {"member": m, "job": j}, exclude_pairs=pairs, rng=np.random.default_rng(seed)
    )
    return g, sub


def test_each_destination_gets_what_the_reference_sampler_gives_it(tiny_tables):
    """Batched over every frontier node and relation, the sample is as valid as the per-node
    reference loop's: per destination, min(degree, fan-out) distinct real in-neighbours."""
    fanouts = (4, 3)
    g, sub = _tiny_subgraph(tiny_tables, fanouts, exclude=False)
    ref_rng = np.random.default_rng(0)
    for et, ei in sub.edge_index.items():
        rel, (src_t, _, dst_t) = g.relations[et], et
        bounds = np.cumsum([0] + sub.num_sampled_edges[et])
        starts = np.cumsum([0] + sub.num_sampled_nodes[dst_t])
        for hop, fanout in enumerate(fanouts):
            part = ei[:, bounds[hop] : bounds[hop + 1]].numpy()
            rows = sub.node_ids[dst_t][starts[hop] : starts[hop + 1]].numpy()
            owner, _ = python_loop_sample(rel.indptr, rel.indices, rows, fanout, ref_rng)
            counts = np.bincount(part[1] - starts[hop], minlength=len(rows))
            assert counts.tolist() == np.bincount(owner, minlength=len(rows)).tolist(), et
            src = sub.node_ids[src_t][part[0]].numpy()
            dst = sub.node_ids[dst_t][part[1]].numpy()
            for d in np.unique(dst):
                got = src[dst == d]
                assert len(set(got)) == len(got), et  # without replacement
                assert set(got) <= set(rel.indices[rel.indptr[d] : rel.indptr[d + 1]]), et


def test_nodes_and_edges_come_in_hop_order_with_their_counts(tiny_tables):
    _, sub = _tiny_subgraph(tiny_tables)
    for t, counts in sub.num_sampled_nodes.items():
        assert len(counts) == 3 and sum(counts) == len(sub.node_ids[t])
        assert counts[0] == sub.num_seeds[t]
        assert len(set(sub.node_ids[t].tolist())) == len(sub.node_ids[t])
    assert sub.node_ids["member"][:40].tolist() == list(range(0, 80, 2))
    for et, ei in sub.edge_index.items():
        assert sum(sub.num_sampled_edges[et]) == ei.shape[1]
        dst = ei[1].numpy()
        assert (np.diff(dst) >= 0).all(), et  # sorted by destination: CSR rows as they come
        starts = np.cumsum([0] + sub.num_sampled_nodes[et[2]])
        bounds = np.cumsum([0] + sub.num_sampled_edges[et])
        for hop in range(2):  # hop-h edges end at the nodes first reached at hop h
            part = dst[bounds[hop] : bounds[hop + 1]]
            assert ((part >= starts[hop]) & (part < starts[hop + 1])).all(), (et, hop)


def test_the_generator_passed_fixes_the_subgraph(tiny_tables):
    _, a = _tiny_subgraph(tiny_tables, seed=5)
    _, b = _tiny_subgraph(tiny_tables, seed=5)
    _, c = _tiny_subgraph(tiny_tables, seed=6)
    same = [torch.equal(a.edge_index[e], b.edge_index[e]) for e in a.edge_index]
    assert all(same)
    assert not all(torch.equal(a.edge_index[e], c.edge_index[e]) for e in a.edge_index)
