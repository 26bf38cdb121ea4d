"""Training and brute-force evaluation of the EBR two-tower retriever."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rankers.export import check_parity, export_onnx
from rankers.features.plan import FeaturePlan
from rankers.models.hard_negative_retrieval import positive_arrays, retrieval_model
from rankers.tf_runtime import tf
from rankers.training.loop import dataset, predict_batched, timed_fit, validation_dataset
from rankers.training.result import RunResult, best_epoch
from rankers.training.retrieval_eval import rank_requests, recall_at

if TYPE_CHECKING:
    from rankers.data.hard_negatives import NegativePool

BUCKET = pd.Timedelta(days=1)


def request_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per request (its first positive's row: member features as of the request)."""
    rows = frame.drop_duplicates("request_id").reset_index(drop=True)
    rows["bucket"] = pd.to_datetime(rows["at"], utc=True).dt.floor(BUCKET)
    return rows


def corpus_keys(frames: dict[str, pd.DataFrame]) -> tuple[list[pd.Timestamp], pd.DataFrame]:
    """Bucket starts of validation and test requests, and their positives' (job_id, bucket)."""
    both = pd.concat([frames["validation"], frames["test"]], ignore_index=True)
    if both.empty:
        return [], pd.DataFrame(columns=["job_id", "bucket"])
    both["bucket"] = pd.to_datetime(both["at"], utc=True).dt.floor(BUCKET)
    return sorted(both["bucket"].unique()), both[["job_id", "bucket"]]


def train_retrieval(
    frames: dict[str, pd.DataFrame],
    corpus: pd.DataFrame,
    jobs: pd.DataFrame,
    plan: FeaturePlan,
    *,
    seed: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    id_embedding_dim: int,
    hidden_units: tuple[int, ...],
    early_stopping_patience: int,
    progress: bool,
    desc: str,
    top_k: int = 100,
    dropout: float = 0.0,
    gnn_inputs: str = "raw",
    projection_dim: int = 8,
    negatives: str = "in_batch",
    pool: NegativePool | None = None,
) -> RunResult:
    """Fit both towers on (request, applied job) pairs against the `negatives` strategy (its
    candidates in `pool`: rankers/data/hard_negatives.py); rank the live corpus per validation
    request (the test requests are ranked by the result's `test_predictions()`). With
    `pool.params.sampling_bias_correction` (on without a pool), the training and the validation
    batches carry each positive's sampling probability, from frames["train"]'s counts alone
    (rankers.models.hard_negative_retrieval.positive_arrays); it is no tower input."""
    model, arrays = retrieval_model(
        plan,
        frames["train"],
        negatives=negatives,
        pool=pool,
        batch_size=batch_size,
        embedding_dim=id_embedding_dim,
        hidden_units=hidden_units,
        dropout=dropout,
        gnn_inputs=gnn_inputs,
        projection_dim=projection_dim,
    )
    train = dataset(arrays, None, batch_size=batch_size, shuffle_seed=seed)
    val = None
    if len(frames["validation"]):
        val_arrays = positive_arrays(plan, frames["train"], frames["validation"], pool)
        val = validation_dataset(val_arrays, None)
    history, timing = timed_fit(
        model,
        train,
        val,
        n_train=len(frames["train"]),
        batch_size=batch_size,
        epochs=epochs,
        learning_rate=learning_rate,
        patience=early_stopping_patience,
        desc=desc,
        progress=progress,
    )
    member_tower, job_tower = model.member_tower, model.job_tower
    corpus_arrays = plan.arrays(corpus, job_tower.input_names)
    job_vectors = _predict(job_tower, corpus_arrays, len(corpus))

    def ranked(split: str) -> pd.DataFrame:
        requests = request_rows(frames[split])
        arrays = plan.arrays(requests, member_tower.input_names)
        member_vectors = _predict(member_tower, arrays, len(requests))
        positives = frames[split][["request_id", "job_id"]]
        return rank_requests(
            requests, member_vectors, corpus, job_vectors, positives, jobs, top_k=top_k
        )

    metrics = {
        "n_requests": int(frames["validation"]["request_id"].nunique()),
        "n_positives": int(len(frames["validation"])),
        **recall_at(ranked("validation")),
        "best_epoch": best_epoch(history),
    }

    save = partial(_export, member_tower, job_tower, plan, frames["train"], corpus)
    return RunResult(history, metrics, lambda: ranked("test"), save, timing)


def _export(
    member_tower: tf.keras.Model,
    job_tower: tf.keras.Model,
    plan: FeaturePlan,
    train: pd.DataFrame,
    corpus: pd.DataFrame,
    staging: Path,
) -> dict:
    """The towers' SavedModel and ONNX files into `staging`; each ONNX file's parity."""
    _save_towers(member_tower, job_tower, staging / "saved_model")
    job_source = corpus if len(corpus) else train
    samples = (
        (member_tower, plan.arrays(train.head(1024), member_tower.input_names)),
        (job_tower, plan.arrays(job_source.head(1024), job_tower.input_names)),
    )
    parity = {}
    for tower, sample in samples:
        path = export_onnx(tower, staging / f"{tower.name}.onnx")
        parity[f"{tower.name}.onnx"] = check_parity(tower, path, sample)
    return parity


def _predict(tower: tf.keras.Model, arrays: dict, n: int) -> np.ndarray:
    if n == 0:
        return np.zeros((0, tower.outputs[0].shape[-1]), dtype=np.float32)
    return np.asarray(predict_batched(tower, arrays), dtype=np.float32)


def _save_towers(member_tower, job_tower, path: Path) -> None:
    """One SavedModel with signatures `member_tower` and `job_tower` (named raw features in,
    {"embedding": vector} out); `serving_default` is the member tower."""
    module = tf.Module()
    module.member_tower, module.job_tower = member_tower, job_tower
    signatures = {}
    for tower in (member_tower, job_tower):
        spec = {
            n: tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=n)
            for n, t in zip(tower.input_names, tower.inputs, strict=True)
        }
        fn = tf.function(
            lambda f, tower=tower: {"embedding": tower(f, training=False)}, input_signature=[spec]
        )
        signatures[tower.name] = fn
    signatures["serving_default"] = signatures["member_tower"]
    tf.saved_model.save(module, str(path), signatures=signatures)
