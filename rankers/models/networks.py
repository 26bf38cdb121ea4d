"""The TFRS models: a DCN-v2 ranker (jymbii, search, taj) and a two-tower retriever (ebr).

Both are `tfrs.models.Model` subclasses built on the shared input module, so the control and gnn
arms of a task run the same code with the same hyper-parameters; only the plan's specs differ (and
`gnn_inputs`, how the gnn arm's vectors enter; see rankers/features/inputs.py). `dropout` follows each
hidden ReLU layer (none at 0, today's models).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linksage.config import RankerParams
from rankers.features.inputs import encode, keras_inputs, model_input_names
from rankers.features.plan import FeaturePlan
from rankers.tf_runtime import tf, tfrs

_RANKER = RankerParams()  # the defaults live once, in the config


class DCNRanker(tfrs.models.Model):
    """DCN-v2 (stacked `tfrs.layers.dcn.Cross` layers, then an MLP) -> one logit per example,
    trained with `tfrs.tasks.Ranking` and binary cross-entropy. Data: (features, labels)."""

    def __init__(
        self,
        plan: FeaturePlan,
        *,
        embedding_dim: int = _RANKER.id_embedding_dim,
        cross_layers: int = _RANKER.cross_layers,
        hidden_units: tuple[int, ...] = _RANKER.hidden_units,
        dropout: float = 0.0,
        gnn_inputs: str = "raw",
        projection_dim: int = 8,
    ):
        super().__init__()
        inputs = keras_inputs(plan, model_input_names(plan, gnn_inputs))
        x0 = encode(
            inputs,
            plan,
            embedding_dim=embedding_dim,
            gnn_inputs=gnn_inputs,
            projection_dim=projection_dim,
        )
        x = x0
        for i in range(cross_layers):
            x = tfrs.layers.dcn.Cross(name=f"cross_{i}")(x0, x)
        for i, units in enumerate(hidden_units):
            x = tf.keras.layers.Dense(units, activation="relu", name=f"deep_{i}")(x)
            x = _dropout(x, dropout, name=f"deep_{i}_dropout")
        logit = tf.keras.layers.Dense(1, name="logit")(x)
        self.network = tf.keras.Model(inputs, logit, name="ranker")
        self.task = tfrs.tasks.Ranking(
            loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
            metrics=[tf.keras.metrics.AUC(from_logits=True, name="auc")],
        )

    def call(self, features, training: bool = False):
        return self.network(self._own(features), training=training)

    def _own(self, features: dict) -> dict:
        """The network's own inputs: the `none` integration leaves the plan's GNN columns out."""
        return {k: features[k] for k in self.network.input_names}

    def compute_loss(self, inputs, training: bool = False):
        features, labels = inputs
        logits = self.network(self._own(features), training=training)
        return self.task(labels=labels, predictions=logits, training=training)

    def scorer(self) -> tf.keras.Model:
        """Raw features -> probability, the function served and exported to ONNX."""
        score = tf.keras.layers.Activation("sigmoid", name="score")(self.network.outputs[0])
        return tf.keras.Model(self.network.inputs, score, name="scorer")


def _dropout(x, rate: float, *, name: str):
    """Dropout at `rate` (no layer at 0, so a model without dropout is today's graph)."""
    return tf.keras.layers.Dropout(rate, name=name)(x) if rate > 0 else x


def _tower(
    plan: FeaturePlan, side: str, *, embedding_dim: int, hidden_units, dropout: float, **gnn
) -> tf.keras.Model:
    inputs = keras_inputs(plan, model_input_names(plan, gnn["gnn_inputs"], side))
    x = encode(inputs, plan, embedding_dim=embedding_dim, **gnn)
    for i, units in enumerate(hidden_units[:-1]):
        x = tf.keras.layers.Dense(units, activation="relu", name=f"{side}_deep_{i}")(x)
        x = _dropout(x, dropout, name=f"{side}_deep_{i}_dropout")
    out = tf.keras.layers.Dense(hidden_units[-1], name=f"{side}_embedding")(x)
    return tf.keras.Model(inputs, out, name=f"{side}_tower")


# batch features only (never a tower input): each positive's candidate sampling probability
SAMPLING_PROBABILITY = "candidate_sampling_probability"


def sampling_probability(train: pd.DataFrame, positives: pd.DataFrame | None = None) -> np.ndarray:
    """Each positive's job's share of the training positives (the count of its job_id in `train`
    over len(train)): the probability that an in-batch negative is that job. `positives` defaults
    to `train` (summed once per distinct job the shares are 1); validation passes its own
    positives, still with `train`'s shares, never counts of its own. A job absent from `train`
    gets 1 / len(train), the share of a job seen once: to the in-batch sampler a job never seen
    in training is as rare as the rarest seen job. (A share of 0 has no log; TFRS would clip it
    to 1e-6, a boost of log 1e6 set by the clip, not by the data.)"""
    n = max(len(train), 1)
    share = train["job_id"].value_counts(dropna=False).astype(np.float64) / n
    target = train if positives is None else positives
    return target["job_id"].map(share).fillna(1.0 / n).to_numpy(np.float64).astype(np.float32)


class TwoTowerRetrieval(tfrs.models.Model):
    """Member tower (member features and the query) and job tower, trained with
    `tfrs.tasks.Retrieval` (in-batch softmax, accidental hits of the same job removed).
    Data: a features dict of (request, applied job) positives. With `SAMPLING_PROBABILITY` in
    the batch (`rankers.ebr_negatives.sampling_bias_correction`), each candidate's logit is
    corrected by minus the log of its probability (logQ, Yi et al. 2019): in-batch negatives
    are drawn in proportion to a job's frequency among the positives, so uncorrected popular
    jobs are over-penalised. Training and validation batches both carry it (shares of the train
    split), so the validation loss early stopping watches is on the training loss's scale."""

    def __init__(
        self,
        plan: FeaturePlan,
        *,
        embedding_dim: int = _RANKER.id_embedding_dim,
        hidden_units: tuple[int, ...] = (64,),
        dropout: float = 0.0,
        gnn_inputs: str = "raw",
        projection_dim: int = 8,
    ):
        super().__init__()
        kw = {
            "embedding_dim": embedding_dim,
            "hidden_units": tuple(hidden_units),
            "dropout": dropout,
            "gnn_inputs": gnn_inputs,
            "projection_dim": projection_dim,
        }
        self.member_tower = _tower(plan, "member", **kw)
        self.job_tower = _tower(plan, "job", **kw)
        self.task = tfrs.tasks.Retrieval(remove_accidental_hits=True)

    def towers(self, features, training: bool = False):
        member = self.member_tower(
            {k: features[k] for k in self.member_tower.input_names}, training=training
        )
        job = self.job_tower(
            {k: features[k] for k in self.job_tower.input_names}, training=training
        )
        return member, job

    def call(self, features, training: bool = False):
        member, job = self.towers(features, training=training)
        return tf.reduce_sum(member * job, axis=1, keepdims=True)

    def compute_loss(self, features, training: bool = False):
        member, job = self.towers(features, training=training)
        return self.in_batch_loss(member, job, features, compute_metrics=not training)

    def in_batch_loss(self, member, job, features, *, compute_metrics: bool = False):
        """The in-batch softmax loss, logQ-corrected when the batch carries probabilities."""
        return self.task(
            member,
            job,
            candidate_sampling_probability=features.get(SAMPLING_PROBABILITY),
            candidate_ids=features["job_id"],
            compute_metrics=compute_metrics,
        )
