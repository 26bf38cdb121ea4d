"""The rankers' three example windows and which one a timestamp falls in.

train = [t_train_start, t_validation_start), validation = [t_validation_start, t_train_end),
test = [t_test_start, t_test_end). Anything else belongs to no split and is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitWindows:
    """Half-open windows of the three splits (UTC datetimes)."""

    t_train_start: datetime
    t_validation_start: datetime
    t_train_end: datetime
    t_test_start: datetime
    t_test_end: datetime

    @classmethod
    def from_section(cls, windows) -> SplitWindows:
        """From the config's `windows` section (linksage.config.WindowsSection)."""
        return cls(
            t_train_start=windows.t_train_start,
            t_validation_start=windows.t_validation_start,
            t_train_end=windows.t_train_end,
            t_test_start=windows.t_test_start,
            t_test_end=windows.t_test_end,
        )

    def bounds(self) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
        """split -> (start, end) as UTC pandas Timestamps."""
        ts = {k: pd.Timestamp(v).tz_convert("UTC") for k, v in vars(self).items()}
        return {
            "train": (ts["t_train_start"], ts["t_validation_start"]),
            "validation": (ts["t_validation_start"], ts["t_train_end"]),
            "test": (ts["t_test_start"], ts["t_test_end"]),
        }

    def assign(self, at: pd.Series) -> pd.Series:
        """The split each timestamp falls in (None outside every window)."""
        out = np.full(len(at), None, dtype=object)
        values = pd.to_datetime(at, utc=True)
        for split, (start, end) in self.bounds().items():
            out[((values >= start) & (values < end)).to_numpy()] = split
        return pd.Series(out, index=at.index, name="split")

    def split_end(self, split: pd.Series) -> pd.Series:
        """End of each row's split window: a label must be observed before it to count."""
        ends = {name: end for name, (_, end) in self.bounds().items()}
        return pd.to_datetime(split.map(ends), utc=True)
