"""Split assignment at the exact window boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from rankers.data.windows import SplitWindows

T0 = datetime(2026, 3, 1, tzinfo=UTC)
D, US = timedelta(days=1), timedelta(microseconds=1)
W = SplitWindows(T0, T0 + 4 * D, T0 + 5 * D, T0 + 6 * D, T0 + 8 * D)


def test_each_boundary_belongs_to_the_window_it_opens():
    at = pd.Series(
        pd.to_datetime(
            [
                T0 - US,
                T0,
                T0 + 4 * D - US,
                T0 + 4 * D,
                T0 + 5 * D - US,
                T0 + 5 * D,
                T0 + 6 * D,
                T0 + 8 * D - US,
                T0 + 8 * D,
            ],
            utc=True,
        )
    )
    assert W.assign(at).tolist() == [
        None,
        "train",
        "train",
        "validation",
        "validation",
        None,
        "test",
        "test",
        None,
    ]


def test_split_end_is_the_end_of_each_rows_window():
    ends = W.split_end(pd.Series(["train", "validation", "test"]))
    assert ends.tolist() == pd.to_datetime([T0 + 4 * D, T0 + 5 * D, T0 + 8 * D], utc=True).tolist()
