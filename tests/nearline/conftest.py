"""Nearline tests: a real redis-server per test that asks for it, and a tiny experiment with a
frozen random checkpoint (fixtures in tests/support/nearline.py)."""

from __future__ import annotations

from tests.support.nearline import (  # noqa: F401
    NEARLINE_CAP,
    nearline_experiment,
    redis_client,
    redis_server,
)

__all__ = ["NEARLINE_CAP"]
