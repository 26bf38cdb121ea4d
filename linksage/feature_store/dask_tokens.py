"""A workaround for a Feast file-offline-store bottleneck (no installable option does this)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd


@contextmanager
def identity_dask_tokens() -> Iterator[None]:
    """Workaround for a Feast file-offline-store bottleneck (Feast 0.67 + dask), used by
    `materialize` and `historical_features` (first found by the rankers, rankers/data/frames.py).

    Each point-in-time join and each materialization `.persist()`s its frames several times, and
    dask names every persisted frame by hashing its content, which pickles (and unpickles, to check
    determinism) every cell of object columns. With Array(Float32) embeddings that was ~76% of a
    100K-member materialize (59 s of 78 s, profiled) and ~95% of a demo training-frame join.
    Inside this block a pandas DataFrame's dask token is its identity plus a random suffix instead
    (unique, so correct; only dask's reuse of identical graphs is lost). Reentrant; the previous
    tokenizer is restored on exit. Not thread-safe (dask's tokenizer registry is global)."""
    from dask.base import normalize_token

    normalize_token(pd.DataFrame())  # let dask's lazy pandas registration run first
    previous = normalize_token._lookup.get(pd.DataFrame)
    normalize_token.register(pd.DataFrame)(lambda df: ("DataFrame", id(df), uuid.uuid4().hex))
    try:
        yield
    finally:
        if previous is None:
            normalize_token._lookup.pop(pd.DataFrame, None)
        else:
            normalize_token._lookup[pd.DataFrame] = previous
