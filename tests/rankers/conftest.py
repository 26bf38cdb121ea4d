"""Ranker tests: `ranker_experiment` (a real Feast repo over the tiny marketplace with random
embeddings) and `trained_runs` (all four tasks trained once in both arms) are session fixtures in
tests/support/ranker_runs.py, registered once in tests/conftest.py (a second registration here
would give them a second cache and run them twice in one session)."""

from __future__ import annotations

from tests.support.ranker_runs import ARMS, TASKS

__all__ = ["ARMS", "TASKS"]
