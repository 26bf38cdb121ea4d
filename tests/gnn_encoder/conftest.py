"""gnn_encoder tests: `tiny_run` (a tiny trained GNN run, once per session) is registered in
tests/conftest.py from tests/support/gnn_run.py; this directory is put on sys.path so the tests
here can `from handmade import hand_tables, ts`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
