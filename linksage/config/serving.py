"""The config's `serving` section: the HTTP ranking service (`linksage serve`, serving/,
docs/serving.md).

Part of the one ExperimentConfig (`linksage.config`), validated with it at load.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from linksage.config.base import Section

Task = Literal["jymbii", "search", "taj", "ebr"]


class ServingSection(Section):
    """Which trained runs the service scores with, where it listens, and how fresh its in-memory
    job table must be."""

    host: str = Field("127.0.0.1", description="address `linksage serve` listens on")
    port: int = Field(8080, ge=1, le=65535)
    workers: int = Field(
        1,
        ge=1,
        description="server processes (uvicorn workers) sharing the port, each with its own "
        "job table, history and ONNX sessions: scoring is CPU work, one process uses one core",
    )
    arm: Literal["control", "gnn"] = Field("gnn", description="the runs' arm the service scores")
    seed: int | None = Field(
        None, ge=0, description="the runs' seed (default: the first evaluation seed)"
    )
    tasks: Literal["auto"] | tuple[Task, ...] = Field(
        "auto", description="tasks served ('auto': every task with a trained run of the arm)"
    )
    max_candidates: int = Field(
        1000, ge=1, description="a request naming more candidates is refused (413)"
    )
    max_k: int = Field(1000, ge=1, description="a retrieval request asking more is refused (422)")
    refresh_interval_s: float = Field(
        5.0,
        gt=0,
        description="the in-memory job table (features, embeddings, liveness) is re-read from "
        "the online store this often; a fresh embedding is served at most this long (plus one "
        "read) after it reaches the store",
    )
    max_staleness_s: float = Field(
        60.0,
        gt=0,
        description="when the job table is older than this (refreshes failing: the online "
        "store is away), scoring answers 503 rather than serve stale jobs",
    )
    store_timeout_s: float = Field(
        0.5,
        gt=0,
        description="Redis socket connect and read timeout of the service's online store "
        "client: how soon a request answers 503 while the store is away",
    )
    history: bool = Field(
        True,
        description="load the engagement log for the runs that take the member's history "
        "(rankers/history.py); a run that takes it cannot be served without it",
    )

    @model_validator(mode="after")
    def _staleness_bound(self) -> ServingSection:
        if self.max_staleness_s < self.refresh_interval_s:
            raise ValueError(
                f"max_staleness_s ({self.max_staleness_s}) must be at least refresh_interval_s "
                f"({self.refresh_interval_s}): every table would be stale between refreshes"
            )
        return self
