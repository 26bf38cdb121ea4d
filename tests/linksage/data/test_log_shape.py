"""Concentration and new-member measures of an interaction log, on hand-made logs."""

from __future__ import annotations

import pandas as pd
import pytest

from linksage.data.log_shape import engagement_concentration, gini, new_member_share, top_share


def test_gini_and_top_share_at_their_extremes():
    assert gini([5, 5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 8]) == pytest.approx(3 / 4)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert top_share(list(range(1, 11)), 0.1) == pytest.approx(10 / 55)
    assert top_share([0, 0, 0, 0, 9], 0.1) == 1.0  # at least one job
    assert gini([]) == 0.0 and top_share([]) == 0.0


def _log(rows):
    df = pd.DataFrame(rows, columns=["member_id", "job_id", "action", "request_id", "at"])
    df["at"] = pd.to_datetime(df["at"], utc=True)
    df["request_id"] = df["request_id"].astype("Int64")
    return df


def test_concentration_counts_engaged_jobs_and_one_action():
    log = _log(
        [
            (1, 10, "click", None, "2026-01-01"),
            (1, 10, "apply", None, "2026-01-01"),
            (2, 10, "click", None, "2026-01-02"),
            (3, 11, "apply", None, "2026-01-02"),
        ]
    )
    every = engagement_concentration(log)
    assert every["jobs"] == 2 and every["gini"] == pytest.approx(gini([3, 1]))
    applies = engagement_concentration(log, "apply")
    assert applies["gini"] == 0.0 and applies["top10_share"] == 0.5


def test_new_member_share_counts_requests_as_the_rankers_build_them():
    log = _log(
        [
            (1, 10, "click", None, "2026-01-01"),  # member 1 engaged before the window
            (1, 11, "click", None, "2026-01-10"),
            (2, 12, "view", None, "2026-01-10"),  # member 2: one request of two engagements
            (2, 12, "apply", None, "2026-01-10"),
            (3, 13, "click", 7, "2026-01-11"),  # member 3: request 7 of two jobs
            (3, 14, "click", 7, "2026-01-11"),
            (4, 15, "click", None, "2026-02-01"),  # after the window
        ]
    )
    share = new_member_share(
        log, pd.Timestamp("2026-01-05", tz="UTC"), pd.Timestamp("2026-01-20", tz="UTC")
    )
    assert share == pytest.approx(2 / 3)  # requests (1, 11), (2, 12), 7: members 2 and 3 new
