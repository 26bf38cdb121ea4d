"""ONNX export with tf2onnx, and the parity check against TensorFlow.

Each exported model takes the raw feature values by name (strings, bags of strings, floats) and
returns one output; vocabulary lookups travel inside the graph as ONNX-ML CategoryMapper ops.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import numpy as np
import tensorflow as tf

from linksage.errors import LinksageError
from linksage.io import atomic_path

OPSET = 17  # tf2onnx 1.17 supports up to 18; 17 is what onnxruntime everywhere runs


class OnnxParityError(LinksageError):
    """The ONNX model's outputs differ from TensorFlow's by more than the tolerance."""


def export_onnx(model: tf.keras.Model, path: Path | str, *, opset: int = OPSET) -> Path:
    """Convert a functional Keras model with named dict inputs to ONNX at `path` (atomically)."""
    import tf2onnx

    signature = [
        {
            name: tf.TensorSpec((None, *tensor.shape[1:]), tensor.dtype, name=name)
            for name, tensor in zip(model.input_names, model.inputs, strict=True)
        }
    ]
    path = Path(path)
    with atomic_path(path) as tmp, _quiet_conversion():
        tf2onnx.convert.from_keras(
            model, input_signature=signature, opset=opset, output_path=str(tmp)
        )
    return path


@contextlib.contextmanager
def _quiet_conversion():
    """tf2onnx logs a shape-inference warning per lookup/bag op and TensorFlow one per table
    initializer it cannot serialise into the collection: harmless (the parity check is what
    guards the export) and hundreds of lines per ranker. Errors still show."""
    loggers = [logging.getLogger("tf2onnx"), tf.get_logger()]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def onnx_session(path: Path | str):
    """An onnxruntime CPU session for an exported model."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_feed(session, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The session's inputs from model arrays (object strings become numpy str arrays)."""
    feed = {}
    for inp in session.get_inputs():
        value = arrays[inp.name]
        feed[inp.name] = value.astype(str) if value.dtype == object else value
    return feed


def onnx_predict(session, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Run the session; the single output as float32."""
    return np.asarray(session.run(None, onnx_feed(session, arrays))[0], dtype=np.float32)


def check_parity(
    model: tf.keras.Model, path: Path | str, arrays: dict[str, np.ndarray], *, atol: float = 1e-4
) -> float:
    """Max |ONNX - TF| over a batch; raises OnnxParityError above `atol`."""
    inputs = {k: arrays[k] for k in model.input_names}
    expected = np.asarray(model.predict(inputs, verbose=0, batch_size=4096), dtype=np.float32)
    got = onnx_predict(onnx_session(path), inputs)
    diff = float(np.max(np.abs(expected - got))) if expected.size else 0.0
    if not diff <= atol:
        raise OnnxParityError(f"{path}: ONNX differs from TensorFlow by {diff:.3g} > {atol}")
    return diff
