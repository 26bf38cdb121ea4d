"""EBR's sampling-bias (logQ) correction: each training positive's probability is its job's share of
the train split's positives; the corrected loss is TFRS's in-batch softmax with log(p) subtracted
(computed here by hand); the extras of the hard negatives stay uncorrected; the validation
batches carry the train split's shares (a job unseen in train: the share of a job seen once), so
the validation loss Keras reports is corrected too; the towers' inputs, and so the exported
files', do not change."""

from __future__ import annotations

import numpy as np
import onnx
import pandas as pd
import pytest
import tensorflow as tf

from linksage.config import EbrNegatives
from rankers.data.hard_negatives import negative_pool
from rankers.export import export_onnx
from rankers.features.plan import FeaturePlan
from rankers.features.schema import FeatureSpec
from rankers.models.hard_negative_retrieval import (
    EXTRA,
    HardNegativeRetrieval,
    positive_arrays,
    retrieval_model,
)
from rankers.models.networks import SAMPLING_PROBABILITY, TwoTowerRetrieval, sampling_probability
from rankers.training.loop import dataset, make_deterministic
from rankers.training.retrieval import train_retrieval

SPECS = [FeatureSpec("member_id", "id", "member"), FeatureSpec("job_id", "id", "job")]
# job 10 is half of the positives, 12 a third, 11 a sixth
TRAIN = pd.DataFrame({"member_id": ["1", "2", "3", "4", "5", "6"]})
TRAIN["job_id"] = ["10", "12", "10", "11", "10", "12"]
SHARE = {"10": 3 / 6, "11": 1 / 6, "12": 2 / 6}

# EBR's split frames: every train job seen at least twice (so the unseen jobs' 1 / 7 is no train
# job's share), job 12 twice among the validation positives (2/5 by validation counts, 2/7 by
# train counts), 99 and 77 never in train; a shuffled index, as after a filter
T0 = pd.Timestamp("2026-03-01", tz="UTC")
SPLIT_TRAIN = pd.DataFrame(
    {
        "request_id": range(7),
        "member_id": [1, 2, 3, 4, 5, 6, 7],
        "job_id": [10, 12, 10, 11, 10, 12, 11],
        "at": [T0 + pd.Timedelta(hours=h) for h in range(7)],
    }
)
VALIDATION = pd.DataFrame(
    {
        "request_id": [100, 101, 102, 103, 104],
        "member_id": [1, 2, 8, 3, 4],
        "job_id": [12, 99, 10, 12, 77],
        "at": [T0 + pd.Timedelta(days=4, hours=h) for h in range(5)],
    },
    index=[9, 4, 7, 0, 2],
)
VALIDATION_P = np.float32([2 / 7, 1 / 7, 3 / 7, 2 / 7, 1 / 7])


def test_each_positives_probability_is_its_jobs_share_of_the_training_positives():
    p = sampling_probability(TRAIN)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, [SHARE[j] for j in TRAIN["job_id"]], rtol=1e-6)
    once = pd.Series(p).groupby(TRAIN["job_id"].to_numpy()).first()  # one per distinct job
    assert once.sum() == pytest.approx(1.0, rel=1e-6)


def test_the_training_arrays_carry_them_from_the_train_frame_when_the_config_asks():
    plan = FeaturePlan.fit(TRAIN, SPECS)
    kw = {"negatives": "in_batch", "batch_size": 4, "embedding_dim": 4, "hidden_units": (4,)}
    _, arrays = retrieval_model(plan, TRAIN, pool=None, **kw)  # no pool: the default, on
    assert EbrNegatives().sampling_bias_correction is True
    np.testing.assert_allclose(arrays[SAMPLING_PROBABILITY], sampling_probability(TRAIN))
    # the config reaches the training through the pool, also when only in_batch is listed
    for on in (True, False):
        params = EbrNegatives(strategies=("in_batch",), sampling_bias_correction=on)
        pool = negative_pool(TRAIN, None, None, params, repo_dir="", feature_service="")
        assert pool.params is params and pool.extras("in_batch") is None
        _, arrays = retrieval_model(plan, TRAIN, pool=pool, **kw)
        assert (SAMPLING_PROBABILITY in arrays) is on
        assert set(arrays) - {SAMPLING_PROBABILITY} == set(plan.names())


def _pool(on: bool):
    params = EbrNegatives(strategies=("in_batch",), sampling_bias_correction=on)
    return negative_pool(SPLIT_TRAIN, None, None, params, repo_dir="", feature_service="")


def test_validation_positives_get_their_jobs_train_share_an_unseen_job_that_of_one_seen_once():
    np.testing.assert_array_equal(sampling_probability(SPLIT_TRAIN, VALIDATION), VALIDATION_P)
    plan = FeaturePlan.fit(SPLIT_TRAIN, SPECS)
    arrays = positive_arrays(plan, SPLIT_TRAIN, VALIDATION, _pool(True))
    np.testing.assert_array_equal(arrays[SAMPLING_PROBABILITY], VALIDATION_P)
    np.testing.assert_array_equal(arrays["job_id"], ["12", "99", "10", "12", "77"])
    # the same function gives the training positives their shares
    train = positive_arrays(plan, SPLIT_TRAIN, SPLIT_TRAIN, None)  # no pool: the default, on
    np.testing.assert_array_equal(train[SAMPLING_PROBABILITY], sampling_probability(SPLIT_TRAIN))
    for positives in (SPLIT_TRAIN, VALIDATION):  # off: neither split carries it
        assert set(positive_arrays(plan, SPLIT_TRAIN, positives, _pool(False))) == set(plan.names())


def _in_batch_loss(logits, ids, log_q=None) -> float:
    """TFRS's Retrieval by hand: logits minus log q per candidate column, accidental hits (same
    job as the row's positive, off the diagonal) removed, softmax cross-entropy summed."""
    logits = np.asarray(logits, dtype=np.float64)
    if log_q is not None:
        logits = logits - log_q[np.newaxis, :]
    n = logits.shape[0]
    hit = (ids[:n, np.newaxis] == ids[np.newaxis, :]) & ~np.eye(n, logits.shape[1], dtype=bool)
    logits = np.where(hit, -np.inf, logits)
    m = logits.max(axis=1, keepdims=True)
    log_softmax = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    return float(-np.trace(log_softmax[:, :n]))


def _model_and_batch():
    plan = FeaturePlan.fit(TRAIN, SPECS)
    make_deterministic(0)
    model = TwoTowerRetrieval(plan, embedding_dim=4, hidden_units=(3,))
    model.compile(optimizer="adam")
    features = {k: tf.constant(v) for k, v in plan.arrays(TRAIN).items()}
    return plan, model, features


def test_the_corrected_loss_subtracts_log_p_and_differs_from_the_uncorrected_one():
    _, model, features = _model_and_batch()
    member, job = model.towers(features)
    logits = member.numpy() @ job.numpy().T
    ids = TRAIN["job_id"].to_numpy()
    p = sampling_probability(TRAIN)
    off = float(model.compute_loss(features, training=True))
    on = float(model.compute_loss({**features, SAMPLING_PROBABILITY: tf.constant(p)}, True))
    assert off == pytest.approx(_in_batch_loss(logits, ids), rel=1e-5)
    assert on == pytest.approx(_in_batch_loss(logits, ids, np.log(p)), rel=1e-5)
    assert abs(on - off) > 1e-3


def test_training_with_the_correction_changes_the_fit_not_the_towers_inputs(tmp_path):
    plan, _, _ = _model_and_batch()
    arrays = plan.arrays(TRAIN)
    losses, towers = {}, {}
    for on in (False, True):
        make_deterministic(0)
        model = TwoTowerRetrieval(plan, embedding_dim=4, hidden_units=(3,))
        model.compile(optimizer=tf.keras.optimizers.Adam(0.05))
        train = {**arrays, SAMPLING_PROBABILITY: sampling_probability(TRAIN)} if on else arrays
        history = model.fit(dataset(train, None, batch_size=6, shuffle_seed=0), epochs=2, verbose=0)
        losses[on] = history.history["loss"]
        towers[on] = (model.member_tower, model.job_tower)
    assert not np.allclose(losses[True], losses[False])  # the probabilities reach the loss
    for off_tower, on_tower in zip(towers[False], towers[True], strict=True):
        side = on_tower.name.removesuffix("_tower")
        assert on_tower.input_names == off_tower.input_names
        assert set(on_tower.input_names) == set(plan.names(side))
        path = export_onnx(on_tower, tmp_path / f"{on_tower.name}.onnx")
        onnx_inputs = {i.name for i in onnx.load(str(path)).graph.input}
        assert onnx_inputs == set(plan.names(side))  # no SAMPLING_PROBABILITY


def test_the_hard_loss_corrects_the_batch_not_the_extras():
    """Expected counts among a row's candidates: n * p for the batch's positives, 1 for an
    extra (log 1 = 0: uncorrected); the model passes TFRS p and 1 / n, the same ratios."""
    plan = FeaturePlan.fit(TRAIN, SPECS)
    make_deterministic(0)
    pool = {"job_id": np.array(["13", "14", "10"], dtype=object)}
    model = HardNegativeRetrieval(
        plan, pool=pool, num_hard_negatives=None, hard_from_step=0, embedding_dim=4,
        hidden_units=(4,),
    )  # fmt: skip
    model.compile(optimizer="adam")
    features = {k: tf.constant(v) for k, v in plan.arrays(TRAIN).items()}
    extra = np.array([[0, 1], [2, -1], [-1, -1], [1, 0], [0, -1], [2, 1]], dtype=np.int64)
    n, per = extra.shape
    p = sampling_probability(TRAIN)
    member, job = model.towers(features)
    extra_job = model.job_tower({"job_id": tf.constant(pool["job_id"][np.maximum(extra, 0)])})
    extra_job = extra_job.numpy().reshape(n * per, -1)
    logits = member.numpy() @ np.concatenate([job.numpy(), extra_job]).T
    own = np.repeat(np.eye(n, dtype=bool), per, axis=1) & (extra.ravel() >= 0)[np.newaxis, :]
    logits[:, n:] = np.where(own, logits[:, n:], -np.inf)  # the score mask
    ids = np.concatenate([TRAIN["job_id"].to_numpy(), pool["job_id"][np.maximum(extra, 0)].ravel()])
    log_count = np.concatenate([np.log(n * p), np.zeros(n * per)])

    off = float(model._hard_loss(member, job, features["job_id"], tf.constant(extra)))
    on = float(
        model._hard_loss(member, job, features["job_id"], tf.constant(extra), tf.constant(p))
    )
    assert off == pytest.approx(_in_batch_loss(logits, ids), rel=1e-5)
    assert on == pytest.approx(_in_batch_loss(logits, ids, log_count), rel=1e-5)
    assert abs(on - off) > 1e-3
    # the training step takes the hard loss with the batch's probabilities
    model.optimizer.iterations.assign(0)
    got = model.compute_loss(
        {**features, EXTRA: tf.constant(extra), SAMPLING_PROBABILITY: tf.constant(p)}, True
    )
    assert float(got) == pytest.approx(on, rel=1e-6)


@pytest.mark.parametrize("on", [True, False])
def test_the_validation_loss_keras_reports_is_corrected_by_the_train_shares(on):
    """train_retrieval end to end (real TF): one epoch, the validation split one batch; Keras's
    val_loss is the in-batch loss of the trained towers on it, with log p subtracted when on."""
    plan = FeaturePlan.fit(SPLIT_TRAIN, SPECS)
    frames = {"train": SPLIT_TRAIN, "validation": VALIDATION, "test": VALIDATION.head(0)}
    corpus = pd.DataFrame({"job_id": [10, 11, 12, 77, 99], "bucket": T0 + pd.Timedelta(days=4)})
    jobs = corpus[["job_id"]].assign(posted_at=T0, expires_at=T0 + pd.Timedelta(days=30))
    make_deterministic(0)
    result = train_retrieval(
        frames, corpus, jobs, plan, seed=0, epochs=1, batch_size=8, learning_rate=0.05,
        id_embedding_dim=4, hidden_units=(3,), early_stopping_patience=2, progress=False,
        desc="test", pool=_pool(on),
    )  # fmt: skip
    member_tower, job_tower = result.save.args[:2]  # the towers the validation step ran
    arrays = plan.arrays(VALIDATION)
    member = member_tower({k: arrays[k] for k in member_tower.input_names}).numpy()
    job = job_tower({k: arrays[k] for k in job_tower.input_names}).numpy()
    logits, ids = member @ job.T, arrays["job_id"]
    corrected = _in_batch_loss(logits, ids, np.log(VALIDATION_P.astype(np.float64)))
    plain = _in_batch_loss(logits, ids)
    assert abs(corrected - plain) > 1e-3
    assert result.history["val_loss"][0] == pytest.approx(corrected if on else plain, rel=1e-5)
