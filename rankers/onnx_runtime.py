"""Running an exported ranker: an onnxruntime session and its feed. numpy and onnxruntime only,
so that serving scores without importing TensorFlow (the export itself is `rankers.export`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def onnx_session(path: Path | str, *, threads: int | None = None):
    """An onnxruntime CPU session for an exported model. `threads`: intra-op threads (default:
    onnxruntime's, one per core); a service scoring one request at a time per process sets 1,
    as a thread pool's spinning workers contend with the rest of the process on a small
    machine."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads is not None:
        options.intra_op_num_threads = options.inter_op_num_threads = threads
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
