"""TFRS rankers (jymbii, search, taj, ebr) trained on Feast feature services, exported to ONNX.

`train.train_ranker` runs one ranker end to end (examples -> frames -> model -> run directory);
`data/` holds what it learns from, `features/` the models' inputs, `models/` the TFRS models,
`training/` the loop, the runs and the tuning; `export.py` (ONNX) and `serving.py` (online
scoring) are what serving uses.

TensorFlow Recommenders needs the tf-keras (Keras 2) API, so the package selects it before any
module imports TensorFlow; the TensorFlow modules import it through `rankers.tf_runtime` (which
silences its start-up notices). Importing the package does not import TensorFlow: the numpy
modules (features/plan, features/history, features/request, onnx_runtime) serve without it. This is the one
place these settings live.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
