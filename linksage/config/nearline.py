"""The config's `nearline` section: the nearline worker's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from linksage.config.base import Section


class NearlineSection(Section):
    """Nearline worker settings (nearline/)."""

    source: str = "file:events.jsonl"
    max_batch: int = Field(64, ge=1)
    replay_rate: float = Field(200.0, gt=0)
    refresh: Literal["touched", "ego"] = Field(
        "touched",
        description="re-embed the member and job of each event (touched), or every member and "
        "job whose 2-hop ego graph changed (ego: exact, costlier)",
    )
    consumer: str = Field("worker-1", description="Redis consumer name (N workers: NAME-1..N)")
    workers: int = Field(1, ge=1, le=64, description="processes in one Redis consumer group")
    availability_delay_s: float = Field(
        1.0,
        ge=0,
        description="offline nearline replay: an embedding is stamped this long after its event",
    )
