"""TFRS rankers (jymbii, search, taj, ebr) trained on Feast feature services, exported to ONNX.

TensorFlow Recommenders needs the tf-keras (Keras 2) API, so the package selects it before any
module imports TensorFlow.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
