"""The config's `windows` section: the time windows, checked here so that a config that would
leak labels into features never reaches a stage (docs/time_rules.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field, field_validator, model_validator

from linksage.config.base import Section
from linksage.timeutil import utc_datetime


class WindowsSection(Section):
    """Time windows: t_gnn_end <= t_train_start < t_train_end <= t_test_start < t_test_end."""

    t_gnn_end: datetime
    t_train_start: datetime
    t_train_end: datetime
    t_test_start: datetime
    t_test_end: datetime
    validation_days: float = Field(
        2.0, gt=0, description="ranker validation slice taken from the end of the train window"
    )

    _utc_all = field_validator(
        "t_gnn_end", "t_train_start", "t_train_end", "t_test_start", "t_test_end"
    )(utc_datetime)

    @model_validator(mode="after")
    def _no_leak(self) -> WindowsSection:
        rules = [
            ("t_gnn_end", "<=", "t_train_start"),
            ("t_train_start", "<", "t_train_end"),
            ("t_train_end", "<=", "t_test_start"),
            ("t_test_start", "<", "t_test_end"),
        ]
        for left, op, right in rules:
            a, b = getattr(self, left), getattr(self, right)
            ok = a <= b if op == "<=" else a < b
            if not ok:
                raise ValueError(
                    f"leak: time windows must satisfy {left} {op} {right}, "
                    f"got {left}={a.isoformat()} and {right}={b.isoformat()}"
                )
        if self.t_train_end - timedelta(days=self.validation_days) <= self.t_train_start:
            raise ValueError(
                "windows.validation_days leaves no training data before the validation slice"
            )
        return self

    @property
    def t_validation_start(self) -> datetime:
        """Start of the ranker validation slice (the end of the train window)."""
        return self.t_train_end - timedelta(days=self.validation_days)
