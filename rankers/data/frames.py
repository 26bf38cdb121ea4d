"""Training frames: ranker examples + the task-and-arm feature service, point-in-time joined by
Feast (`linksage.feature_store.historical_features`), + the request features.

Features reach the rankers only through this join: every feature column is `<view>__<feature>`
as Feast names it, and `<view>__feature_ts` records the event timestamp of the row picked (the
leakage audit checks it is not after the example's `at`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from linksage.data.live_jobs import live_during
from linksage.feature_store import historical_features
from rankers.data.join_cache import cached_join, join_key
from rankers.features.request import add_request_features

NO_MEMBER = -1  # member id of corpus rows (job features only; member views are not joined)


def feature_service_name(task: str, arm: str) -> str:
    """The Feast feature service of a task and arm (an A/B arm is a feature service)."""
    return f"{task}_{arm}"


def training_frame(
    repo_dir: Path | str,
    examples: pd.DataFrame,
    feature_service: str,
    *,
    task: str,
    progress: bool = False,
    cache_dir: Path | None = None,
) -> pd.DataFrame:
    """Examples (member_id, job_id, at, ...) with the service's features as of each `at`.
    With `cache_dir`, a join already made there for the same inputs is read instead
    (rankers.data.join_cache)."""

    def join() -> pd.DataFrame:
        entity_df = examples.rename(columns={"at": "event_timestamp"})
        if "split" in entity_df:
            entity_df["split"] = entity_df["split"].astype(str)
        # historical_features applies the dask-token workaround itself (linksage.feature_store)
        frame = historical_features(repo_dir, entity_df, feature_service, progress=progress)
        frame = frame.rename(columns={"event_timestamp": "at"})
        return add_request_features(frame, task)

    if cache_dir is None:
        return join()
    return cached_join(cache_dir, join_key(repo_dir, examples, feature_service, task), join)


# Test rows per point-in-time join and scoring pass. A test window holds every candidate of every
# request (100+ per request), which joined with the embedding views is most of a run's memory
# (10^5 engagements: 835K test rows, 2.2 GiB); a chunk of this size holds ~0.1 GiB.
TEST_CHUNK_ROWS = 40_000


@dataclass
class ChunkedFrame:
    """A window's examples, joined with the service's features one chunk at a time: the window is
    scored chunk by chunk and never held joined whole. Each chunk is what `training_frame` would
    return for its rows, in the examples' order."""

    repo_dir: Path | str
    examples: pd.DataFrame
    feature_service: str
    task: str
    chunk_rows: int = TEST_CHUNK_ROWS
    cache_dir: Path | None = None  # see training_frame
    # columns added to each joined chunk after the join (rankers.features.history: the member's history)
    augment: Callable[[pd.DataFrame], pd.DataFrame] | None = None

    def __len__(self) -> int:
        return len(self.examples)

    def chunks(self) -> Iterator[pd.DataFrame]:
        """The joined frame, `chunk_rows` examples at a time."""
        for start in range(0, len(self.examples), self.chunk_rows):
            rows = self.examples.iloc[start : start + self.chunk_rows]
            chunk = training_frame(
                self.repo_dir, rows, self.feature_service, task=self.task, cache_dir=self.cache_dir
            )
            yield self.augment(chunk) if self.augment is not None else chunk


def corpus_frame(
    repo_dir: Path | str,
    jobs: pd.DataFrame,
    bucket_starts: list[pd.Timestamp],
    feature_service: str,
    *,
    bucket: pd.Timedelta = pd.Timedelta(days=1),
    extra_jobs: pd.DataFrame | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """EBR's job corpus: for each bucket start s, every job live at some moment of
    [s, s + bucket) (plus `extra_jobs` rows of job_id, bucket), with job features joined as of s.
    Columns: job_id, bucket, the job-side feature columns."""
    posted = pd.to_datetime(jobs["posted_at"], utc=True)
    expires = pd.to_datetime(jobs["expires_at"], utc=True)
    rows = []
    for start in bucket_starts:
        live = live_during(posted, expires, start, start + bucket)
        rows.append(pd.DataFrame({"job_id": jobs.loc[live, "job_id"].to_numpy(), "bucket": start}))
    if extra_jobs is not None:
        rows.append(extra_jobs[["job_id", "bucket"]])
    keys = pd.concat(rows, ignore_index=True).drop_duplicates(ignore_index=True)
    keys = keys.astype({"job_id": "int64"})
    entity_df = keys.assign(member_id=NO_MEMBER, event_timestamp=keys["bucket"])
    # historical_features applies the dask-token workaround itself (linksage.feature_store)
    # job views only: the member views have nothing to join for a corpus row
    frame = historical_features(
        repo_dir, entity_df, feature_service, join_keys=("job_id",), progress=progress
    )
    return frame.drop(columns=["member_id", "event_timestamp"])
