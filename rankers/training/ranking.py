"""Training and scoring one DCN-v2 ranker (jymbii, search, taj) on its split frames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score

from linksage.feature_store import feature_ts_columns
from rankers.data.frames import ChunkedFrame
from rankers.export import check_parity, export_onnx
from rankers.features.plan import FeaturePlan
from rankers.models.networks import DCNRanker
from rankers.tf_runtime import tf
from rankers.training.loop import binary_cross_entropy, dataset, predict_batched, timed_fit
from rankers.training.result import RunResult, best_epoch

PREDICTION_COLUMNS = ["request_id", "member_id", "job_id", "at", "label"]


def _labels(frame: pd.DataFrame) -> np.ndarray:
    return frame["label"].to_numpy(np.float32)[:, None]


def binary_metrics(labels: np.ndarray, scores: np.ndarray) -> dict:
    """Log loss and AUC (None when only one class is present)."""
    labels = np.asarray(labels).ravel()
    both = len(np.unique(labels)) == 2
    return {
        "n_examples": int(len(labels)),
        "n_positives": int(labels.sum()),
        "log_loss": float(log_loss(labels, scores, labels=[0, 1])) if len(labels) else None,
        "auc": float(roc_auc_score(labels, scores)) if both else None,
    }


def train_ranking(
    frames: dict[str, pd.DataFrame],
    plan: FeaturePlan,
    *,
    test: ChunkedFrame,
    task: str,
    seed: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    id_embedding_dim: int,
    cross_layers: int,
    hidden_units: tuple[int, ...],
    early_stopping_patience: int,
    progress: bool,
    desc: str,
    dropout: float = 0.0,
    gnn_inputs: str = "raw",
    projection_dim: int = 8,
) -> RunResult:
    """Fit the ranker on `frames["train"]` (early stopping on `frames["validation"]`), score
    validation; the result's `test_predictions()` joins and scores the test window chunk by
    chunk. Its rows keep the join's `<view>__feature_ts` columns (and the query) for the
    examples table."""
    model = DCNRanker(
        plan,
        embedding_dim=id_embedding_dim,
        cross_layers=cross_layers,
        hidden_units=hidden_units,
        dropout=dropout,
        gnn_inputs=gnn_inputs,
        projection_dim=projection_dim,
    )
    arrays = {s: plan.arrays(f) for s, f in frames.items()}
    train = dataset(
        arrays["train"], _labels(frames["train"]), batch_size=batch_size, shuffle_seed=seed
    )
    val = None
    if len(frames["validation"]):
        val = _validation_metrics(model, arrays["validation"], _labels(frames["validation"]))
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
    scorer = model.scorer()

    def predict(inputs: dict[str, np.ndarray]) -> np.ndarray:
        return predict_batched(scorer, inputs).ravel().astype(np.float32)  # empty in, empty out

    validation = frames["validation"]
    metrics = binary_metrics(validation["label"].to_numpy(), predict(arrays["validation"]))
    metrics["best_epoch"] = best_epoch(history)

    def test_predictions() -> pd.DataFrame:
        return _scored_chunks(test, lambda chunk: predict(plan.arrays(chunk)), task)

    def save(staging: Path) -> dict:
        _save_scorer(scorer, staging / "saved_model")
        path = export_onnx(scorer, staging / "model.onnx")
        sample = arrays["validation"] if len(validation) else arrays["train"]
        sample = {k: v[:1024] for k, v in sample.items()}
        return {"model.onnx": check_parity(scorer, path, sample)}

    return RunResult(history, metrics, test_predictions, save, timing)


def _validation_metrics(
    model: DCNRanker, arrays: dict[str, np.ndarray], labels: np.ndarray
) -> Callable[[], dict[str, float]]:
    """The validation split's loss and AUC at the current weights, predicted in batches (the
    split holds every candidate of every request: 10^5+ rows)."""

    def compute() -> dict[str, float]:
        logits = predict_batched(model.network, arrays).ravel()
        both = len(np.unique(labels)) == 2
        auc = float(roc_auc_score(labels.ravel(), logits)) if both else float("nan")
        return {"val_loss": binary_cross_entropy(labels, logits), "val_auc": auc}

    return compute


def _scored_chunks(
    test: ChunkedFrame, score: Callable[[pd.DataFrame], np.ndarray], task: str
) -> pd.DataFrame:
    """The test window's prediction rows, chunk by chunk, with each join's
    `<view>__feature_ts` columns (and the query) for the examples table."""
    columns = PREDICTION_COLUMNS + (["click"] if task == "search" else [])
    parts = []
    for chunk in test.chunks():
        keep = columns + [c for c in ("query",) if c in chunk] + feature_ts_columns(chunk)
        part = chunk[keep].copy()
        part["score"] = score(chunk)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*columns, "score"])
    return pd.concat(parts, ignore_index=True)


def _save_scorer(scorer: tf.keras.Model, path: Path) -> None:
    """SavedModel with a `serving_default` signature: named raw features -> {"score": p}.

    Saved by Keras (loadable with tf.keras.models.load_model too) without per-layer traces: the
    traces would triple the save time and serving only needs the signature."""
    spec = {
        name: tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=name)
        for name, t in zip(scorer.input_names, scorer.inputs, strict=True)
    }

    @tf.function(input_signature=[spec])
    def serve(features):
        return {"score": scorer(features, training=False)}

    tf.keras.models.save_model(
        scorer,
        str(path),
        save_format="tf",
        save_traces=False,
        signatures={"serving_default": serve},
    )
