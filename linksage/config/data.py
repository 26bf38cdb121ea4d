"""The config's `data` section: where the tables come from."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from linksage.config.base import Section
from linksage.timeutil import utc_datetime


class SyntheticSource(Section):
    """The built-in synthetic job marketplace (see docs/generative_model.md)."""

    preset: Literal["paper", "dense"] = "paper"
    members: int = Field(5_000, ge=50)
    seed: int = 7
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    days: int = Field(84, ge=7, description="length of the simulated activity period")
    # written as a user's export arrives (linksage/synthetic/export.py): four tables, no request ids
    export: bool = False

    _utc_start = field_validator("start")(utc_datetime)


class DataSection(Section):
    """Where the tables come from: the generator, or a directory of the user's own tables."""

    source: Literal["synthetic", "directory"] = "synthetic"
    synthetic: SyntheticSource = SyntheticSource()
    directory: Path | None = None

    @model_validator(mode="after")
    def _directory_given(self) -> DataSection:
        if self.source == "directory" and self.directory is None:
            raise ValueError("data.directory is required when data.source is 'directory'")
        return self
