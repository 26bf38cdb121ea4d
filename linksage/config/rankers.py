"""The config's `rankers` section: the rankers' hyper-parameters (RankerParams, what rankers
takes) with their `tuning` and `ebr_negatives` subsections, and which tasks run how."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from linksage.config.base import Section
from linksage.config.ebr import EbrNegatives
from linksage.config.tuning import TuningParams


class RankerParams(Section):
    """A ranker's hyper-parameters: `rankers.train.train_ranker` takes them as `params`, and the
    config's rankers section extends them, so each default is defined here once."""

    epochs: int = Field(5, ge=1)
    batch_size: int = Field(256, ge=8)
    learning_rate: float = Field(1e-3, gt=0)
    tuning: Literal[False, "off"] | TuningParams = TuningParams()  # YAML `off` reads as false
    id_embedding_dim: int = Field(16, ge=2)
    cross_layers: int = Field(2, ge=0)
    hidden_units: tuple[int, ...] = (128, 64)
    # sampled live jobs per training request built from engagements (a channel without
    # impressions); and per validation and test request, so the metrics rank a realistic list
    negatives_per_request: int = Field(9, ge=1)
    candidates_per_request: int = Field(100, ge=1)
    train_negative_rate: float = Field(
        1.0,
        gt=0,
        le=1,
        description="share of training negatives kept (jymbii, search, taj; seeded, the same "
        "rows for every arm and seed); validation and test keep every example",
    )
    early_stopping_patience: int = Field(2, ge=1)
    history_features: bool = (
        True  # the member's engagements before each request (rankers/features/history.py)
    )
    ebr_negatives: EbrNegatives = EbrNegatives()


class RankersSection(RankerParams):
    """TFRS ranker settings (rankers/): which tasks ("auto": every task the data supports, see
    rankers.data.task_support; a list: exactly these, or an error naming what the data lacks), the shared
    hyper-parameters, and how many ranker runs (each a process) train at a time."""

    tasks: Literal["auto"] | tuple[Literal["jymbii", "search", "taj", "ebr"], ...] = "auto"
    parallel_runs: int = Field(2, ge=1)  # 2 cores; each run's peak is its own (<= 3 GiB)

    @field_validator("tasks")
    @classmethod
    def _tasks_not_empty(cls, v):
        if v != "auto" and not v:
            raise ValueError("name at least one task, or 'auto' for every task the data supports")
        return v

    def params(self) -> RankerParams:
        """The hyper-parameters alone, as the library takes them."""
        return RankerParams(**self.model_dump(exclude={"tasks", "parallel_runs"}))
