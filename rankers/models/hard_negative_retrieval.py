"""EBR's two towers trained against extra negatives (the strategies: rankers/data/hard_negatives.py).

Every training positive brings its own extra candidates (rows of the pool of job features held by
the model). `tfrs.tasks.Retrieval` scores the batch's positives and all the extras; its
`score_mask` lets a positive see the whole batch but only its own extras (the others' are other
members' jobs, live at other times) and hides empty slots; accidental hits of the same job are
removed; with `num_hard_negatives`, TFRS's HardNegativeMining keeps the highest-scoring negatives
of each positive by the current towers. Before the strategy's first hard epoch (curriculum) the
loss is the plain in-batch one. Validation always uses the in-batch loss, so that early stopping
compares epochs, and strategies, on one scale; with the correction (below) it is corrected as the
training's in-batch loss is, each validation positive with its job's share of the train split's
positives (`positive_arrays`).

The sampling-bias (logQ) correction (`rankers.ebr_negatives.sampling_bias_correction`) applies to
the batch's positives as candidates, not to the extras: a correction is the log of a candidate's
expected count among a row's candidates, n * p for a job with share p of the training positives
in a batch of n, and 1 for an extra (it is its row's candidate once, not drawn by frequency), so
log 1 = 0 leaves the extras uncorrected. TFRS takes probabilities clipped at 1, which n * p of a
popular job exceeds, so it is given the same ratios: p for the batch, 1 / n for the extras
(shifting every logit of a row by log n changes no softmax and no hard-negative choice).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from linksage.config import EbrNegatives
from rankers.data.hard_negatives import MINING, first_hard_epoch
from rankers.features.plan import FeaturePlan
from rankers.models.networks import SAMPLING_PROBABILITY, TwoTowerRetrieval, sampling_probability
from rankers.tf_runtime import tf, tfrs

if TYPE_CHECKING:
    from rankers.data.hard_negatives import NegativePool

EXTRA = "extra_negatives"  # training features: [batch, per_positive] rows of the pool, -1 = empty


class HardNegativeRetrieval(TwoTowerRetrieval):
    """TwoTowerRetrieval whose training batches carry `EXTRA`: each positive's extra candidates,
    in-batch only before step `hard_from_step`."""

    def __init__(
        self,
        plan: FeaturePlan,
        *,
        pool: dict[str, np.ndarray],
        num_hard_negatives: int | None,
        hard_from_step: int,
        **tower_kwargs,
    ):
        super().__init__(plan, **tower_kwargs)
        self.pool = {name: tf.constant(pool[name]) for name in self.job_tower.input_names}
        self.hard_task = tfrs.tasks.Retrieval(
            remove_accidental_hits=True, num_hard_negatives=num_hard_negatives
        )
        self.hard_from_step = hard_from_step

    def compute_loss(self, features, training: bool = False):
        if not training or EXTRA not in features:
            return super().compute_loss(features, training=training)
        member, job = self.towers(features, training=True)
        ids, probability = features["job_id"], features.get(SAMPLING_PROBABILITY)
        # optimizer.iterations counts the steps taken so far: the epoch's phase, inside the graph
        hard = self.optimizer.iterations >= self.hard_from_step
        return tf.cond(
            hard,
            lambda: self._hard_loss(member, job, ids, features[EXTRA], probability),
            lambda: self.in_batch_loss(member, job, features),
        )

    def _hard_loss(self, member, job, ids, extra, probability=None):
        n, per = tf.shape(extra)[0], tf.shape(extra)[1]
        if probability is not None:  # the batch's positives: p; the extras: 1 / n (module doc)
            probability = tf.cast(probability, tf.float32)
            extras = tf.fill([n * per], 1.0 / tf.cast(n, tf.float32))
            probability = tf.concat([probability, extras], axis=0)
        flat = tf.reshape(extra, [-1])
        rows = tf.maximum(flat, 0)  # empty slots read row 0, then the mask hides them
        extra_features = {name: tf.gather(values, rows) for name, values in self.pool.items()}
        extra_job = self.job_tower(extra_features, training=True)
        own = tf.repeat(tf.cast(tf.eye(n), tf.bool), per, axis=1)  # [n, n * per]
        mask = tf.concat([tf.ones([n, n], tf.bool), own & (flat >= 0)[tf.newaxis, :]], axis=1)
        return self.hard_task(
            member,
            tf.concat([job, extra_job], axis=0),
            candidate_sampling_probability=probability,
            candidate_ids=tf.concat([ids, tf.gather(self.pool["job_id"], rows)], axis=0),
            score_mask=mask,
            compute_metrics=False,
        )


def retrieval_model(
    plan: FeaturePlan,
    train: pd.DataFrame,
    *,
    negatives: str,
    pool: NegativePool | None,
    batch_size: int,
    **tower_kwargs,
) -> tuple[TwoTowerRetrieval, dict[str, np.ndarray]]:
    """The model a strategy trains and its training arrays (`positive_arrays` of `train`, with
    `EXTRA` when the strategy adds candidates); in_batch: TwoTowerRetrieval."""
    arrays = positive_arrays(plan, train, train, pool)
    first = first_hard_epoch(negatives, pool.params.warmup_epochs if pool is not None else 1)
    if first is None:
        return TwoTowerRetrieval(plan, **tower_kwargs), arrays
    if pool is None:
        raise ValueError(f"EBR negatives {negatives!r} need a NegativePool")
    steps_per_epoch = max(1, -(-len(train) // batch_size))
    model = HardNegativeRetrieval(
        plan,
        pool=plan.arrays(pool.frame, plan.names("job")),
        num_hard_negatives=pool.params.num_hard_negatives if negatives in MINING else None,
        hard_from_step=first * steps_per_epoch,
        **tower_kwargs,
    )
    arrays[EXTRA] = pool.extras(negatives)
    return model, arrays


def positive_arrays(
    plan: FeaturePlan, train: pd.DataFrame, positives: pd.DataFrame, pool: NegativePool | None
) -> dict[str, np.ndarray]:
    """The batch arrays of `positives` (the train or the validation split): the towers' inputs,
    and `SAMPLING_PROBABILITY` (each positive's job's share of `train`'s positives; a job absent
    from `train`: 1 / len(train), rankers.models.networks.sampling_probability) when the pool's params (the
    default's without a pool) ask for the sampling-bias correction. The validation batches carry
    it exactly when the training ones do, so `compute_loss` corrects both or neither."""
    arrays = plan.arrays(positives)
    params = pool.params if pool is not None else EbrNegatives()
    if params.sampling_bias_correction:
        arrays[SAMPLING_PROBABILITY] = sampling_probability(train, positives)
    return arrays
