"""What one training run returns, whichever the model (ranking or retrieval): TensorFlow-free, so
the tuning loop and the run-directory writer read results without importing a model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class RunResult:
    """What a training run hands to the tuning loop and the run-directory writer. The test
    window is scored only when asked (`test_predictions()`), so that choosing among trials can
    only ever see the validation metrics."""

    history: dict[str, list[float]]
    validation_metrics: dict
    test_predictions: Callable[[], pd.DataFrame]
    save: Callable[[Path], dict]  # save(staging_dir) -> dict of parity figures
    timing: dict = field(default_factory=dict)


def best_epoch(history: dict) -> int | None:
    """The 1-based epoch of the lowest validation loss (the one early stopping restores)."""
    val = history.get("val_loss")
    return int(np.argmin(val)) + 1 if val else None
