"""The shared inputs and both TFRS models against values computed by hand; determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from linksage.feature_store.decoder import LinkDecoder
from rankers.features.inputs import BagEmbedding, encode, keras_inputs
from rankers.features.plan import FeaturePlan
from rankers.features.schema import FeatureSpec
from rankers.models.networks import DCNRanker, TwoTowerRetrieval
from rankers.training.loop import dataset, make_deterministic


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_bag_embedding_is_the_mean_over_non_padding_tokens():
    layer = BagEmbedding(["", "x", "y"], 2)
    layer(tf.constant([["x"]]))
    table = np.arange(8, dtype=np.float32).reshape(4, 2)  # rows: OOV, pad, x, y
    layer.embedding.set_weights([table])
    out = layer(tf.constant([["x", "", ""], ["x", "y", "zz"], ["", "", ""]])).numpy()
    np.testing.assert_allclose(out, [table[2], (table[2] + table[3] + table[0]) / 3, [0, 0]])


VECTOR_SPECS = [
    FeatureSpec("m__emb", "vector", "member", gnn=True),
    FeatureSpec("j__emb", "vector", "job", gnn=True),
    FeatureSpec("j__n", "numeric", "job"),
]
VECTOR_FRAME = pd.DataFrame(
    {
        "m__emb": [np.float32([1, 2]), np.float32([0, 1])],
        "j__emb": [np.float32([3, 4]), np.float32([5, 6])],
        "j__n": [1.0, 3.0],
    }
)


def test_encoding_appends_the_member_job_dot_product_and_normalizes_numerics():
    frame = VECTOR_FRAME
    plan = FeaturePlan.fit(frame, VECTOR_SPECS)
    inputs = keras_inputs(plan)
    model = tf.keras.Model(inputs, encode(inputs, plan, embedding_dim=2))
    out = model.predict(plan.arrays(frame), verbose=0)
    # every column standardized with training statistics: member [0.5, 1.5] +- 0.5 and its
    # presence, job [4, 5] +- 1 and its presence, n 2 +- 1, raw dot products 11 and 6 -> 8.5 +- 2.5
    np.testing.assert_allclose(
        out, [[1, 1, 1, -1, -1, 1, -1, 1], [-1, -1, 1, 1, 1, 1, 1, -1]], rtol=1e-5
    )
    without_job = tf.keras.Model(
        {k: inputs[k] for k in ("m__emb", "j__n")},
        encode({k: inputs[k] for k in ("m__emb", "j__n")}, plan, embedding_dim=2),
    )
    assert without_job.output_shape == (None, 4)  # no dot product without both vectors


def test_a_missing_vector_is_neutral_and_flagged():
    plan = FeaturePlan.fit(VECTOR_FRAME, VECTOR_SPECS)
    inputs = keras_inputs(plan)
    model = tf.keras.Model(inputs, encode(inputs, plan, embedding_dim=2))
    frame = VECTOR_FRAME.assign(m__emb=[np.float32([1, 2]), None])
    out = model.predict(plan.arrays(frame), verbose=0)
    # row 2: the member vector is absent: its columns 0 (the training mean), presence 0, and
    # the dot product 0 (neutral), not a product with a made-up vector
    np.testing.assert_allclose(out[1], [0, 0, 0, 1, 1, 1, 1, 0], atol=1e-6)
    np.testing.assert_allclose(out[0], [1, 1, 1, -1, -1, 1, -1, 1], rtol=1e-5)


def _decoder(dim: int = 2, hidden: int = 3) -> LinkDecoder:
    rng = np.random.default_rng(0)
    weights = {
        "w1": rng.normal(size=(hidden, 3 * dim)),
        "b1": rng.normal(size=hidden),
        "w2": rng.normal(size=(1, hidden)),
        "b2": rng.normal(size=1),
    }
    return LinkDecoder("mlp", "v1", {k: np.float32(v) for k, v in weights.items()})


def test_decoder_mode_feeds_the_gnn_decoders_own_logit():
    decoder = _decoder()
    frame = pd.DataFrame(
        {
            "m__emb": [np.float32([1, 2]), np.float32([0, 1]), np.float32([2, -1])],
            "j__emb": [np.float32([3, 4]), np.float32([5, 6]), np.float32([-1, 1])],
            "j__n": [1.0, 3.0, 2.0],
        }
    )
    plan = FeaturePlan.fit(frame, VECTOR_SPECS, decoder=decoder)
    m, j = np.stack(frame["m__emb"]), np.stack(frame["j__emb"])
    # the logit by hand: w2 relu(w1 [m, j, m*j] + b1) + b2
    w = decoder.weights
    by_hand = (np.maximum(np.hstack([m, j, m * j]) @ w["w1"].T + w["b1"], 0) @ w["w2"].T).ravel()
    by_hand += w["b2"][0]
    np.testing.assert_allclose(decoder.logits(m, j), by_hand, rtol=1e-5)
    assert plan.decoder_mean == pytest.approx(by_hand.mean(), rel=1e-5)
    inputs = keras_inputs(plan)
    model = tf.keras.Model(inputs, encode(inputs, plan, embedding_dim=2, gnn_inputs="decoder"))
    assert model.output_shape == (None, 4)  # two presence flags, n, the decoder's logit
    out = model.predict(plan.arrays(frame), verbose=0)
    standardized = (by_hand - by_hand.mean()) / by_hand.std()
    np.testing.assert_allclose(out[:, 3], standardized, rtol=1e-4, atol=1e-5)
    missing = plan.arrays(frame.assign(j__emb=[np.float32([3, 4]), None, None]))
    out = model.predict(missing, verbose=0)
    np.testing.assert_allclose(out[1:, 3], 0.0)  # neutral where the job has no embedding
    np.testing.assert_allclose(out[:, 1], [1, 0, 0])
    no_decoder = FeaturePlan.fit(frame, VECTOR_SPECS)
    with pytest.raises(ValueError, match="gnn_decoder.json"):
        encode(keras_inputs(no_decoder), no_decoder, embedding_dim=2, gnn_inputs="decoder")


def test_similarity_mode_feeds_one_scalar_instead_of_the_vectors():
    plan = FeaturePlan.fit(VECTOR_FRAME, VECTOR_SPECS)
    inputs = keras_inputs(plan)

    def encoder(names=tuple(inputs), **mode):
        chosen = {k: inputs[k] for k in names}
        return tf.keras.Model(chosen, encode(chosen, plan, embedding_dim=2, **mode))

    similarity = encoder(gnn_inputs="similarity")
    # two presence flags, n and the dot product; no vector columns
    assert similarity.output_shape == (None, 4)
    out = similarity.predict(plan.arrays(VECTOR_FRAME), verbose=0)
    np.testing.assert_allclose(out, [[1, 1, -1, 1], [1, 1, 1, -1]], rtol=1e-5)
    projection = encoder(gnn_inputs="projection", projection_dim=3)
    # each vector to 3 and its presence flag, n; no dot product
    assert projection.output_shape == (None, 3 + 1 + 3 + 1 + 1)
    assert {"m_emb_projection", "j_emb_projection"} <= {layer.name for layer in projection.layers}
    with pytest.raises(ValueError, match="similarity"):  # one EBR tower sees one vector only
        encoder(("m__emb", "j__n"), gnn_inputs="similarity")


NUMERIC = [FeatureSpec("v__x", "numeric", "job")]
FRAME = pd.DataFrame({"v__x": [0.0, 1.0, 2.0, 3.0]})
LABELS = np.float32([[0], [0], [1], [1]])


def test_dcn_ranker_score_and_loss_match_the_formulas():
    plan = FeaturePlan.fit(FRAME, NUMERIC)
    make_deterministic(0)
    model = DCNRanker(plan, embedding_dim=2, cross_layers=1, hidden_units=())
    model.compile(optimizer="adam")
    arrays = plan.arrays(FRAME)
    cross = model.network.get_layer("cross_0")
    logit = model.network.get_layer("logit")
    x0 = (FRAME["v__x"].to_numpy() - 1.5) / np.sqrt(1.25)
    (w, b), (v, c) = cross.get_weights(), logit.get_weights()
    x1 = x0 * (x0 * w[0, 0] + b[0]) + x0  # DCN-v2 cross: x0 * (W x + b) + x
    expected = _sigmoid(x1 * v[0, 0] + c[0])
    np.testing.assert_allclose(
        model.scorer().predict(arrays, verbose=0).ravel(), expected, rtol=1e-5
    )
    bce = -np.mean(LABELS.ravel() * np.log(expected) + (1 - LABELS.ravel()) * np.log(1 - expected))
    loss = model.evaluate(dataset(arrays, LABELS, batch_size=4), return_dict=True, verbose=0)
    assert loss["loss"] == pytest.approx(bce, rel=1e-5)


def test_two_tower_loss_is_the_in_batch_softmax_cross_entropy():
    specs = [FeatureSpec("member_id", "id", "member"), FeatureSpec("job_id", "id", "job")]
    frame = pd.DataFrame({"member_id": [1, 2, 3], "job_id": [10, 11, 12]})
    plan = FeaturePlan.fit(frame, specs)
    make_deterministic(0)
    model = TwoTowerRetrieval(plan, embedding_dim=4, hidden_units=(3,))
    model.compile(optimizer="adam")
    arrays = plan.arrays(frame)
    m = model.member_tower.predict({"member_id": arrays["member_id"]}, verbose=0)
    j = model.job_tower.predict({"job_id": arrays["job_id"]}, verbose=0)
    logits = m @ j.T
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.trace(log_softmax)  # tfrs Retrieval sums over the batch
    got = model.evaluate(dataset(arrays, None, batch_size=3), return_dict=True, verbose=0)
    assert got["loss"] == pytest.approx(expected, rel=1e-5)


def _fit_weights(seed: int) -> list[np.ndarray]:
    frame = pd.DataFrame({"v__x": np.linspace(0, 1, 64)})
    labels = (frame["v__x"].to_numpy() > 0.5).astype(np.float32)[:, None]
    plan = FeaturePlan.fit(frame, NUMERIC)
    make_deterministic(seed)
    model = DCNRanker(plan, embedding_dim=2, cross_layers=1, hidden_units=(4,))
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05))
    model.fit(
        dataset(plan.arrays(frame), labels, batch_size=8, shuffle_seed=seed), epochs=2, verbose=0
    )
    return model.network.get_weights()


def test_training_is_deterministic_for_a_seed():
    a, b, c = _fit_weights(1), _fit_weights(1), _fit_weights(2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def _small_ranker(n: int):
    """A seeded one-feature DCN ranker, its n rows' input arrays and 0/1 labels (every third)."""
    frame = pd.DataFrame({"v__x": np.linspace(0, 1, n)})
    labels = (np.arange(n) % 3 == 0).astype(np.float32)[:, None]
    plan = FeaturePlan.fit(frame, NUMERIC)
    make_deterministic(0)
    model = DCNRanker(plan, embedding_dim=2, cross_layers=1, hidden_units=(4,))
    return model, plan.arrays(frame), labels


def _bce(labels: np.ndarray, scores: np.ndarray) -> float:
    y, p = labels.ravel(), np.asarray(scores).ravel()
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_history_loss_is_the_mean_over_the_epochs_batches():
    """TFRS reports the last batch's loss; `fit` records the epoch mean (here, with a learning
    rate too small to move the weights, it equals the loss of the whole training set)."""
    from rankers.training.loop import fit

    model, arrays, labels = _small_ranker(32)
    history = fit(
        model,
        dataset(arrays, labels, batch_size=8),
        None,
        epochs=1,
        learning_rate=1e-12,
        patience=1,
        steps_per_epoch=4,
        desc="t",
        progress=False,
    )
    bce = _bce(labels, model.scorer().predict(arrays, verbose=0))
    assert history["loss"] == [pytest.approx(bce, rel=1e-4)]
    assert len(history["loss_last_batch"]) == 1


def test_validation_loss_is_the_whole_splits_loss():
    """Keras keeps the last validation batch's TFRS loss; a ranker's val_loss is instead its whole
    validation split's, predicted in batches (rankers.training.ranking)."""
    from rankers.training.loop import fit
    from rankers.training.ranking import _validation_metrics

    model, arrays, labels = _small_ranker(96)
    val_arrays = {k: v[:90] for k, v in arrays.items()}
    history = fit(
        model,
        dataset(arrays, labels, batch_size=8),
        _validation_metrics(model, val_arrays, labels[:90]),
        epochs=2,
        learning_rate=1e-3,
        patience=1,
        steps_per_epoch=12,
        desc="t",
        progress=False,
    )
    assert len(history["val_loss"]) == len(history["val_auc"]) == 2
    scores = model.scorer().predict(val_arrays, verbose=0)
    bce = _bce(labels[:90], scores)
    assert history["val_loss"][-1] == pytest.approx(bce, rel=1e-4)
    # Keras' own batched evaluation would report the last batch (rows 80-89) alone
    assert abs(_bce(labels[80:90], scores[80:]) - bce) > 1e-3
