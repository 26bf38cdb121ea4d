"""Shared test helpers (kept for the tests that import them from here): a frozen random encoder
exported to ONNX, batch embeddings, and a bootstrapped state. They live in tests/support/."""

from __future__ import annotations

import numpy as np

from tests.support.nearline import batch_embeddings, export_encoders, fresh_state, vocab
from tests.support.random_checkpoint import random_encoder

__all__ = ["np", "random_encoder", "export_encoders", "batch_embeddings", "fresh_state", "vocab"]
