"""Seeded, deterministic Keras training with a progress bar and early stopping on validation loss.

Determinism, as far as TF allows: `tf.keras.utils.set_random_seed` seeds Python, NumPy and TF
(weight initialisers, dropout), the shuffle has its own seed, and
`tf.config.experimental.enable_op_determinism()` makes TF pick deterministic kernels. The same
seed on the same data, TF build and CPU therefore gives bit-identical weights and scores (a test
checks it). Across CPUs or TF builds (oneDNN kernels differ) results may differ in the last bits.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from tqdm.auto import tqdm

from rankers.tf_runtime import tf


def make_deterministic(seed: int) -> None:
    """Seed every generator and switch TF to deterministic ops (process-wide)."""
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def dataset(
    arrays: dict[str, np.ndarray],
    labels: np.ndarray | None,
    *,
    batch_size: int,
    shuffle_seed: int | None = None,
) -> tf.data.Dataset:
    """(features, labels) or features-only batches; shuffled with a fixed seed when asked.

    The shuffle permutes row indices and gathers each batch: a shuffle buffer of the rows
    themselves would hold a second full copy of the training arrays."""
    data = (arrays, labels) if labels is not None else arrays
    if shuffle_seed is None:
        return tf.data.Dataset.from_tensor_slices(data).batch(batch_size).prefetch(2)
    n = len(next(iter(arrays.values())))
    tensors = tf.nest.map_structure(tf.convert_to_tensor, data)
    order = tf.data.Dataset.range(n).shuffle(n, seed=shuffle_seed, reshuffle_each_iteration=True)
    return (
        order.batch(batch_size)
        .map(lambda rows: tf.nest.map_structure(lambda t: tf.gather(t, rows), tensors))
        .prefetch(2)
    )


def validation_dataset(arrays: dict[str, np.ndarray], labels: np.ndarray | None) -> tf.data.Dataset:
    """The validation split as one batch: TFRS's test step returns the batch's loss and Keras
    keeps the last batch's value as val_loss, so only a single batch makes val_loss (what early
    stopping watches) the whole split's loss. For EBR, whose validation rows are its positives
    alone, it also makes every validation positive the others' in-batch negative. (A ranker's
    validation split holds every candidate: `SplitLoss` computes its loss in batches.)"""
    n = len(next(iter(arrays.values())))
    return dataset(arrays, labels, batch_size=max(n, 1))


def predict_batched(
    model: tf.keras.Model, arrays: dict[str, np.ndarray], batch_size: int = 32_768
) -> np.ndarray:
    """`model`'s outputs over `arrays`, one slice at a time: Keras' predict() first copies every
    input array whole into a tf.data pipeline (0.5 GiB for a 210K-row validation split), on
    every call; slices copy only themselves. The slices are large because each call has a fixed
    cost: a DCN ranker at the paper config scores 24K rows/s in slices of 4,096 and 74K in
    slices of 32,768 (2 cores), for a few tens of MB of activations."""
    n = len(next(iter(arrays.values())))
    names = getattr(model, "input_names", None) or list(arrays)  # a functional model's own
    parts = [
        np.asarray(model.predict_on_batch({k: arrays[k][i : i + batch_size] for k in names}))
        for i in range(0, n, batch_size)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, *model.outputs[0].shape[1:]))


class SplitLoss(tf.keras.callbacks.Callback):
    """Puts the whole validation split's metrics (`compute()` -> {"val_loss": ..., ...}) in each
    epoch's logs, before EarlyStopping and History read them: computed in batches, so a split of
    10^5+ candidates never runs as one batch."""

    def __init__(self, compute: Callable[[], dict[str, float]]):
        super().__init__()
        self.compute = compute

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(self.compute())


def binary_cross_entropy(labels: np.ndarray, logits: np.ndarray) -> float:
    """Mean binary cross-entropy from logits (Keras' BinaryCrossentropy(from_logits=True))."""
    y, x = np.asarray(labels, np.float64).ravel(), np.asarray(logits, np.float64).ravel()
    return float(np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))))


class ProgressBar(tf.keras.callbacks.Callback):
    """One tqdm bar over all training steps, with the latest loss and validation loss."""

    def __init__(self, steps_per_epoch: int, epochs: int, desc: str, enabled: bool = True):
        super().__init__()
        self.bar = tqdm(total=steps_per_epoch * epochs, desc=desc, unit="step", disable=not enabled)
        self.epoch = 0
        self.epoch_losses: list[float] = []  # mean training loss of each epoch
        self._batch_losses: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1
        self._batch_losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)
        if logs and "loss" in logs:
            self._batch_losses.append(float(logs["loss"]))
        if batch % 20 == 0 and logs:
            # refresh=False: the bar redraws at its own interval (every 30 s in a log)
            loss = f"{logs.get('loss', 0):.4f}"
            self.bar.set_postfix(epoch=self.epoch, loss=loss, refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch_losses.append(float(np.mean(self._batch_losses)) if self._batch_losses else 0.0)
        self.bar.set_postfix(
            epoch=self.epoch,
            loss=f"{logs.get('loss', 0):.4f}",
            val_loss=f"{logs.get('val_loss', float('nan')):.4f}",
        )

    def on_train_end(self, logs=None):
        self.bar.close()


def fit(
    model: tf.keras.Model,
    train: tf.data.Dataset,
    validation: tf.data.Dataset | Callable[[], dict[str, float]] | None,
    *,
    epochs: int,
    learning_rate: float,
    patience: int,
    steps_per_epoch: int,
    desc: str,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Compile with Adam and fit; early stopping on val_loss restores the best weights.
    Returns the Keras history, with "loss" the mean training loss over each epoch's batches
    (`validation`: a one-batch dataset (`validation_dataset`) or a function returning the
    split's metrics (`SplitLoss`), so val_loss is the whole split's loss)."""
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=learning_rate))
    bar = ProgressBar(steps_per_epoch, epochs, desc, enabled=progress)
    callbacks: list[tf.keras.callbacks.Callback] = [bar]
    watched = validation is not None
    if callable(validation):  # the split's metrics computed by the caller, in batches
        callbacks, validation = [SplitLoss(validation), bar], None
    if watched:
        callbacks.append(
            tf.keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=patience, restore_best_weights=True
            )
        )
    history = model.fit(
        train, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=0
    )
    out = {k: [float(x) for x in v] for k, v in history.history.items()}
    # TFRS reports the last batch's loss as an epoch's "loss"; keep it, but plot the epoch mean.
    out["loss_last_batch"] = out.pop("loss", [])
    out["loss"] = bar.epoch_losses
    return out


def timed_fit(
    model: tf.keras.Model,
    train: tf.data.Dataset,
    validation: tf.data.Dataset | None,
    *,
    n_train: int,
    batch_size: int,
    **fit_kwargs,
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """`fit` with steps per epoch derived from `n_train`; also returns the timing a run records
    (train_seconds, epochs_run, train_examples_per_s)."""
    t0 = time.perf_counter()
    history = fit(
        model, train, validation, steps_per_epoch=max(1, -(-n_train // batch_size)), **fit_kwargs
    )
    seconds = time.perf_counter() - t0
    epochs_run = len(history.get("loss", []))
    timing = {
        "train_seconds": seconds,
        "epochs_run": epochs_run,
        "train_examples_per_s": n_train * epochs_run / max(seconds, 1e-9),
    }
    return history, timing
