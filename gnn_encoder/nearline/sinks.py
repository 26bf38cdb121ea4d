"""Where fresh embeddings go: Feast's push API (online store), or a recording list."""

from __future__ import annotations

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

    `method="write_to_online_store"` writes the `<entity>_gnn` view with Feast's
    `write_to_online_store` instead: the same rows, without `push`'s per-call registry work
    (Feast 0.67 deserialises every feature service on each push: ~50 ms vs ~7 ms per call,
    measured by benchmarks/nearline.py --sink)."""

    store: Any  # feast.FeatureStore with the linksage definitions applied
    model_version: str
    method: str = "push"

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
        if self.method == "push":
            push_embeddings(self.store, entity, frame)
        else:
            frame[FEATURE_TS] = frame["event_timestamp"]
            self.store.write_to_online_store(f"{entity}_gnn", frame)


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
