"""The in-memory job table: every job's online features, read from the Feast online store once at
start and again every `refresh_interval_s` on a background thread, so that a request reads one
member row instead of hundreds of job rows (a 500-row Feast read is ~100 ms, docs/serving.md).

Each load builds a whole new `JobSnapshot` (feature frame, per-task job-side model inputs, the
retrieval corpus) and swaps it in with one assignment: a request sees one consistent table. A
failed load (the store away) keeps the previous snapshot; its age grows, and `current()` refuses
one older than `max_staleness_s`, so staleness is bounded rather than silent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from linksage.errors import LinksageError

# job ids per online read, and a pause between reads: a refresh shares the process (and its GIL)
# with the requests, and Feast's read of a chunk holds the GIL in C code throughout; short reads
# with a yield between them keep a refresh from stalling requests (docs/serving.md, the tail)
READ_CHUNK = 32
READ_PAUSE_S = 0.002


class StaleTableError(LinksageError):
    """No job table fresh enough to serve (never loaded, or refreshes failing too long)."""


@dataclass(frozen=True)
class JobSnapshot:
    """One load of the job table. `frame` rows follow `job_ids` (ascending)."""

    job_ids: np.ndarray
    frame: pd.DataFrame
    loaded_at: float  # time.time() when the read started: what the rows are at least as new as
    prepared: dict = field(default_factory=dict)  # per task (and "retrieval"): derived arrays

    def positions(self, job_ids: Sequence[int]) -> tuple[np.ndarray, list[int]]:
        """Row positions of `job_ids`, and the ids the table does not hold."""
        ids = np.asarray(job_ids, dtype=np.int64)
        pos = np.searchsorted(self.job_ids, ids)
        pos = np.minimum(pos, max(len(self.job_ids) - 1, 0))
        known = (self.job_ids[pos] == ids) if len(self.job_ids) else np.zeros(len(ids), bool)
        return pos, ids[~known].tolist()


def job_ids_in_source(store) -> np.ndarray:
    """Every job id of the `job_profile` view's batch source, ascending (the online store cannot
    enumerate its keys)."""
    source = store.get_feature_view("job_profile").batch_source
    path = Path(source.path)
    path = path if path.is_absolute() else Path(store.repo_path) / path
    ids = pq.read_table(path, columns=["job_id"]).column("job_id").to_numpy()
    return np.unique(ids).astype(np.int64)


def read_jobs(store, refs: Sequence[str], job_ids: np.ndarray) -> pd.DataFrame:
    """The online features `refs` of `job_ids`, one row per id in order (full feature names)."""
    parts = []
    for start in range(0, len(job_ids), READ_CHUNK):
        ids = [int(i) for i in job_ids[start : start + READ_CHUNK]]
        response = store.get_online_features(
            features=list(refs), entity_rows={"job_id": ids}, full_feature_names=True
        )
        parts.append(pd.DataFrame(response.to_dict()))
        time.sleep(READ_PAUSE_S)  # let the event loop serve a waiting request
    return pd.concat(parts, ignore_index=True)


class JobTable:
    """The current `JobSnapshot` and the thread that refreshes it."""

    def __init__(
        self,
        store,
        refs: Sequence[str],
        prepare: Callable[[pd.DataFrame], dict],
        *,
        refresh_interval_s: float,
        max_staleness_s: float,
    ):
        """`prepare(frame)` derives the per-task arrays of a new load (run once per load)."""
        self.store, self.refs, self.prepare = store, list(refs), prepare
        self.refresh_interval_s, self.max_staleness_s = refresh_interval_s, max_staleness_s
        self.snapshot: JobSnapshot | None = None
        self.last_error: str | None = None
        self.loads = self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self) -> JobSnapshot:
        """Read every job now and swap the new snapshot in (raises what the store raises)."""
        started = time.time()
        ids = job_ids_in_source(self.store)
        frame = read_jobs(self.store, self.refs, ids)
        snapshot = JobSnapshot(ids, frame, started, self.prepare(frame))
        self.snapshot, self.last_error = snapshot, None
        self.loads += 1
        return snapshot

    def age_s(self) -> float | None:
        """Seconds since the current snapshot's read started (None: never loaded)."""
        return None if self.snapshot is None else time.time() - self.snapshot.loaded_at

    def current(self) -> JobSnapshot:
        """The snapshot to serve, or a StaleTableError when none is fresh enough."""
        age = self.age_s()
        if age is None:
            raise StaleTableError(f"job table not loaded yet ({self.last_error or 'loading'})")
        if age > self.max_staleness_s:
            raise StaleTableError(
                f"job table is {age:.0f} s old (limit {self.max_staleness_s:g} s); last refresh "
                f"failed: {self.last_error}"
            )
        return self.snapshot

    def start(self) -> None:
        """Refresh every `refresh_interval_s` on a daemon thread until `stop()`."""
        self._thread = threading.Thread(target=self._run, name="job-table", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.refresh_interval_s):
            try:
                self.load()
            except Exception as err:  # the store away: keep serving the last table, say why
                self.failures += 1
                self.last_error = f"{type(err).__name__}: {err}"
