"""A hand-made 4-member, 3-job marketplace whose graph can be checked by hand (kept for the tests
that import it from here; it lives in tests/support/tables.py)."""

from __future__ import annotations

from tests.support.tables import graph_tables as hand_tables
from tests.support.tables import ts

__all__ = ["hand_tables", "ts"]
