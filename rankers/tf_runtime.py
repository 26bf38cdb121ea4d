"""TensorFlow for the rankers' TensorFlow modules, imported once with its start-up notices silenced.

TensorFlow's start-up notices (oneDNN, CUDA probing, "compiled metrics have yet to be built") are
not the product speaking: its C++ logging is written to stderr before any log level applies, so
the import runs with stderr pointed at /dev/null, and its Python logger shows errors only. The
package (`rankers/__init__.py`) only selects tf-keras: the numpy modules (feature_plan, history,
request_features, onnx_runtime) stay importable without TensorFlow, for the ranking service.
"""

import os
import sys
from contextlib import contextmanager


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
    import tensorflow as tf
    import tensorflow_recommenders as tfrs

tf.get_logger().setLevel("ERROR")

__all__ = ["tf", "tfrs"]
