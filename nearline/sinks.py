"""Where fresh embeddings go: Feast's push API (online store), or a recording list."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd


class EmbeddingSink(Protocol):
    def write(
        self, entity: str, ids: np.ndarray, vectors: np.ndarray, timestamps: pd.Series
    ) -> None:
        """Store embeddings of members or jobs, each stamped with its event timestamp."""


@dataclass
class FeastSink:
    """Pushes through the `member_gnn_push` / `job_gnn_push` push sources, PushMode.ONLINE.

    `method="push"` (default) uses Feast's push API. Feast 0.67's synchronous `store.push`
    re-reads the whole registry from disk on every call (`_precompute_for_push` lists feature
    services with `allow_cache=False`: ~30-60 ms per call, measured by benchmarks/nearline.py
    --sink); its `push_async` resolves the push source from the cached registry and writes
    through the online store's async writer (~3-5 ms), and skips only that re-computation for
    feature services marked `precompute_online` (linksage defines none). So where the online
    store writes asynchronously (Redis) the sink runs `push_async` on one event loop it keeps
    (the store's async Redis client is bound to it); elsewhere (SQLite) it calls `push`.

    `method="write_to_online_store"` writes the `<entity>_gnn` view with Feast's
    `write_to_online_store` instead: the same rows, without the push source."""

    store: Any  # feast.FeatureStore with the linksage definitions applied
    model_version: str
    method: str = "push"
    async_push: bool = True  # False: always the synchronous `store.push` (the old path)
    _loop: Any = field(default=None, init=False, repr=False)
    _async: bool | None = field(default=None, init=False, repr=False)

    def write(self, entity, ids, vectors, timestamps) -> None:
        from linksage.feature_store import FEATURE_TS, push_embeddings

        frame = pd.DataFrame(
            {
                f"{entity}_id": np.asarray(ids, np.int64),
                "embedding": list(np.asarray(vectors, np.float32)),
                "event_timestamp": pd.to_datetime(list(timestamps), utc=True),
                "model_version": self.model_version,
            }
        )
        if self.method != "push":
            frame[FEATURE_TS] = frame["event_timestamp"]
            self.store.write_to_online_store(f"{entity}_gnn", frame)
        elif self._push_async_supported():
            from feast.data_source import PushMode

            frame[FEATURE_TS] = frame["event_timestamp"]
            push = self.store.push_async(f"{entity}_gnn_push", frame, to=PushMode.ONLINE)
            self._loop.run_until_complete(push)
        else:
            push_embeddings(self.store, entity, frame)

    def _push_async_supported(self) -> bool:
        if self._async is None:
            online_store = self.store.config.online_store
            self._async = self.async_push and getattr(online_store, "type", None) == "redis"
            if self._async:
                self._loop = asyncio.new_event_loop()
        return self._async

    def close(self) -> None:
        """Close the event loop of the async push path (if one was opened)."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None
            self._async = None


@dataclass
class RecordingSink:
    """Keeps every written row in memory (the offline nearline replay, tests)."""

    rows: list[tuple[str, int, np.ndarray, pd.Timestamp]] = field(default_factory=list)

    def write(self, entity, ids, vectors, timestamps) -> None:
        for i, v, t in zip(ids, vectors, timestamps, strict=True):
            self.rows.append((entity, int(i), np.asarray(v, np.float32), pd.Timestamp(t)))

    def latest(self, entity: str) -> dict[int, np.ndarray]:
        """The newest vector written for each id of `entity`."""
        return {i: v for e, i, v, _ in self.rows if e == entity}
