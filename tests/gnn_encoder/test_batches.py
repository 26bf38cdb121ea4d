import pickle

import numpy as np
import pytest
import torch
from training_data import tiny_params, tiny_training_data

from gnn_encoder.batches import LinkBatch, LinkBatches, batch_loader, distinct_rows
from gnn_encoder.fit import epoch_batches, epoch_keys

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def training(tiny_tables):
    params = tiny_params()
    maps, data = tiny_training_data(tiny_tables, params)
    return params, maps, data


def _keys(data, params, epoch=0, n=4):
    batches, order = epoch_batches(data.train_sets, params.batch_size, np.random.default_rng(0))
    return epoch_keys(batches, list(order[:n]), seed=params.seed, rank=0, epoch=epoch)


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _same_batch(a: LinkBatch, b: LinkBatch) -> bool:
    return all(_same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)


def test_worker_batches_equal_in_process_batches(training):
    params, _, data = training
    dataset = LinkBatches(data.train_sets, tuple(params.fanouts), params.neighbour_cap)
    keys = _keys(data, params)
    here = list(batch_loader(dataset, keys, workers=0, device=CPU))
    there = list(batch_loader(dataset, keys, workers=1, device=CPU))
    assert len(here) == len(there) == len(keys)
    assert all(_same_batch(a, b) for a, b in zip(here, there, strict=True))
    assert here[0].edge_index and sum(e.shape[1] for e in here[0].edge_index.values()) > 0


def test_a_batch_is_fixed_by_its_key_alone(training):
    params, _, data = training
    dataset = LinkBatches(data.train_sets, tuple(params.fanouts), params.neighbour_cap)
    key = _keys(data, params)[0]
    first = dataset[key]
    dataset[_keys(data, params, epoch=1)[0]]  # the sampler's scratch state is reset between
    assert _same_batch(first, dataset[key])
    other = dataset[_keys(data, params, epoch=1)[0]]
    assert not _same_batch(first, other)  # another epoch, another draw


def test_a_pickled_batch_comes_back_equal_from_one_flat_tensor_per_dtype(training):
    params, _, data = training
    dataset = LinkBatches(data.train_sets, tuple(params.fanouts), params.neighbour_cap)
    batch = dataset[_keys(data, params)[0]]
    back = pickle.loads(pickle.dumps(batch))
    assert _same_batch(batch, back)
    storages = {t.untyped_storage().data_ptr() for t in back.edge_index.values()}
    assert len(storages) == 1  # every edge_index is a view of the same int64 buffer


def test_batch_inputs_are_the_graph_features_of_the_sampled_nodes(training):
    params, _, data = training
    dataset = LinkBatches(data.train_sets, tuple(params.fanouts), params.neighbour_cap)
    key = _keys(data, params)[0]
    graph, labels = data.train_sets[key.slice]  # the slice the batch's labels come from
    batch = dataset[key]
    sub = dataset.samplers[key.slice].sample(
        {"member": np.unique(labels.member[key.rows]), "job": np.unique(labels.job[key.rows])},
        exclude_pairs=(labels.member[key.rows], labels.job[key.rows]),
        rng=np.random.default_rng(key.seed),
    )
    for t in ("member", "job"):
        rebuilt = batch.x[t][batch.x_rows[t]].numpy()
        np.testing.assert_array_equal(rebuilt, graph.features[t][sub.node_ids[t].numpy()])
    pairs = labels.take(key.rows)
    seeds_m = sub.node_ids["member"][batch.member_index].numpy()
    np.testing.assert_array_equal(seeds_m, pairs.member)
    np.testing.assert_array_equal(batch.labels.numpy(), pairs.label)


def test_distinct_rows_rebuild_the_matrix():
    f = np.array([[1, 0, 2], [0, 1, 0], [1, 0, 2], [0, 0, 0]], np.float32)
    table, row_of = distinct_rows(f)
    assert len(table) == 3
    np.testing.assert_array_equal(table.numpy()[row_of], f)


def test_baseline_batches_hold_only_the_pairs_own_features(training):
    params, _, data = training
    key = _keys(data, params)[0]
    graph, labels = data.train_sets[key.slice]
    batch = LinkBatches(data.train_sets, None, params.neighbour_cap)[key]
    assert batch.edge_index is None and batch.x_rows is None
    pairs = labels.take(key.rows)
    m = batch.x["member"][batch.member_index].numpy()
    np.testing.assert_array_equal(m, graph.features["member"][pairs.member])


def test_moving_to_the_device_it_is_on_is_free(training):
    params, _, data = training
    batch = LinkBatches(data.train_sets, tuple(params.fanouts), params.neighbour_cap)[
        _keys(data, params)[0]
    ]
    assert batch.to(CPU) is batch
