"""The service runs without the training stack: importing it (and the rankers' numpy modules it
uses) imports neither TensorFlow nor torch. import-linter cannot see this one: a package's
`__init__` runs on every import of its modules (rankers' once imported TensorFlow)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import serving.app, serving.service, linksage.cli.serve
heavy = [m for m in ("tensorflow", "torch", "torch_geometric", "tf2onnx") if m in sys.modules]
print(",".join(heavy))
"""


def test_the_service_imports_neither_tensorflow_nor_torch():
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""


def test_the_rankers_tensorflow_modules_still_get_tensorflow():
    """The check above can fail: the training modules do load TensorFlow (through tf_runtime)."""
    code = "import sys, rankers.export; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "True", out.stderr[-2000:]
