"""CLI tests: the function-scoped fixtures of the stages they drive, from tests/support/.

The session-scoped ones (`ranker_experiment`, `trained_runs`, `tiny_run`) are registered once in
tests/conftest.py: registering them here as well would give them a second cache, and a run of the
whole suite would build them twice."""

from __future__ import annotations

from tests.support.eval_run import clean_run  # noqa: F401
from tests.support.nearline import nearline_experiment, redis_client, redis_server  # noqa: F401
