import numpy as np
import pytest
import torch
from training_data import tiny_params, tiny_training_data

from gnn_encoder.batches import LinkBatches
from gnn_encoder.decoders import make_decoder
from gnn_encoder.fit import LinkModel, epoch_batches, epoch_keys, fit, in_place_gradients
from gnn_encoder.model import LinkSageEncoder
from gnn_encoder.train import encoder_kwargs

CPU = torch.device("cpu")


@pytest.fixture
def one_thread():
    """One torch thread, as train-gnn runs (gnn.torch_threads): two spinning OpenMP threads on
    a shared 2-core machine make a step many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _model(maps, params) -> LinkModel:
    torch.manual_seed(params.seed)
    return LinkModel(
        LinkSageEncoder(**encoder_kwargs(maps, params)),
        make_decoder(params.decoder, params.embedding_dim),
    )


@pytest.mark.parametrize("workers", [0, 1])
def test_training_loss_decreases_on_tiny_data(tiny_tables, workers, one_thread):
    params = tiny_params(epochs=4, patience=4, loader_workers=workers)
    maps, data = tiny_training_data(tiny_tables, params)
    model = _model(maps, params)
    _, history, speed = fit(model, data, params, device=CPU, progress=False)
    losses = [row["train_loss"] for row in history]
    assert len(losses) == 4 and losses[-1] < losses[0], losses
    assert speed["train_pairs"] > 0
    # the model is left as it came: no gradients, dense embeddings
    assert all(p.grad is None for p in model.parameters())
    assert not any(m.sparse for m in model.modules() if isinstance(m, torch.nn.Embedding))


def test_in_place_sparse_embedding_gradients_take_the_same_steps(tiny_tables, one_thread):
    params = tiny_params()
    maps, data = tiny_training_data(tiny_tables, params)
    dataset = LinkBatches(data.train_sets, tuple(params.fanouts), params.neighbour_cap)
    batches, order = epoch_batches(data.train_sets, params.batch_size, np.random.default_rng(0))
    keys = epoch_keys(batches, list(order[:3]), seed=0, rank=0, epoch=0)
    states = []
    for in_place in (False, True):
        model = _model(maps, params)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01, fused=True)
        with in_place_gradients(model, sparse_embeddings=in_place):
            for key in keys:
                torch.manual_seed(1)  # the same dropout masks in both runs
                opt.zero_grad(set_to_none=not in_place)
                model(dataset[key]).backward()
                opt.step()
        states.append(model.state_dict())
    for name, value in states[0].items():
        torch.testing.assert_close(states[1][name], value, msg=name)
