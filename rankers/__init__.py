"""TFRS rankers (jymbii, search, taj, ebr) trained on Feast feature services, exported to ONNX.

`train.train_ranker` runs one ranker end to end (examples -> frames -> model -> run directory);
`data/` holds what it learns from, `features/` the models' inputs, `models/` the TFRS models,
`training/` the loop, the runs and the tuning; `export.py` (ONNX) and `serving.py` (online
scoring) are what serving uses.

TensorFlow Recommenders needs the tf-keras (Keras 2) API, so the package selects it before any
module imports TensorFlow. TensorFlow's start-up notices (oneDNN, CUDA probing, "compiled metrics
have yet to be built") are not the product speaking: its C++ logging is written to stderr before
any log level applies, so the import runs with stderr pointed at /dev/null, and its Python logger
shows errors only. This is the one place these settings live.
"""

import os
import sys
from contextlib import contextmanager

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@contextmanager
def _stderr_to_devnull():
    """Point file descriptor 2 at /dev/null (C++ writes bypass sys.stderr); restore after."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _stderr_to_devnull():  # a failing import still raises, and is shown, after the restore
    import tensorflow as _tf

_tf.get_logger().setLevel("ERROR")
