"""ONNX export with tf2onnx, and the parity check against TensorFlow (running the models is
`rankers.onnx_runtime`, which serving imports without TensorFlow).

Each exported model takes the raw feature values by name (strings, bags of strings, floats) and
returns one output; vocabulary lookups travel inside the graph as ONNX-ML CategoryMapper ops.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import numpy as np

from linksage.errors import LinksageError
from linksage.io import atomic_path
from rankers.onnx_runtime import onnx_predict, onnx_session
from rankers.tf_runtime import tf

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
