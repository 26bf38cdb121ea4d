"""Evaluation tests: `write_run` (a hand-written run directory) and its fixture `clean_run`
live in tests/support/eval_run.py."""

from __future__ import annotations

from tests.support.eval_run import clean_run, write_run  # noqa: F401

__all__ = ["clean_run", "write_run"]
