"""Per-task examples on a hand-made marketplace whose every label and window is known."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linksage.data.tables import Tables
from rankers.data.examples import build_examples
from rankers.data.windows import SplitWindows

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
H = timedelta(hours=1)
# train [day 0, day 4), validation [day 4, day 5), test [day 5, day 7)
WINDOWS = SplitWindows(T0, T0 + 4 * DAY, T0 + 5 * DAY, T0 + 5 * DAY, T0 + 7 * DAY)


def _tables(with_impressions: bool = True) -> Tables:
    members = pd.DataFrame(
        {
            "member_id": [1, 2, 3],
            "title": ["a"] * 3,
            "company": ["c"] * 3,
            "seniority": [1] * 3,
            "location": ["x"] * 3,
            "is_premium": [True, False, True],
            "created_at": [T0 - DAY] * 3,
        }
    )
    jobs = pd.DataFrame(
        {
            "job_id": [10, 11, 12, 13],
            "title": ["data engineer", "chef", "cook", "baker"],
            "company": ["c"] * 4,
            "seniority": [1] * 4,
            "location": ["x"] * 4,
            "is_promoted": [False] * 4,
            "posted_at": [T0 - DAY, T0 - DAY, T0 - DAY, T0 + 6 * DAY],
            "expires_at": [T0 + 30 * DAY] * 3 + [T0 + 30 * DAY],
        }
    )
    # request 100 (jymbii, train): member 1 sees jobs 10, 11, applies to 10 one hour later.
    # request 101 (jymbii, train, 1h before validation): applies to 11 after the train window ends.
    # request 102 (jymbii, before every window): dropped.
    # request 200 (search "Data engineer", test): clicks 10, applies 11.
    impressions = pd.DataFrame(
        {
            "request_id": [100, 100, 101, 101, 102, 200, 200, 200],
            "member_id": [1, 1, 2, 2, 2, 3, 3, 3],
            "job_id": [10, 11, 10, 11, 10, 10, 11, 12],
            "channel": ["jymbii"] * 5 + ["search"] * 3,
            "rank": [1, 2, 1, 2, 1, 1, 2, 3],
            "query": [None] * 5 + ["Data engineer"] * 3,
            "at": [T0 + DAY] * 2 + [T0 + 4 * DAY - H] * 2 + [T0 - DAY] + [T0 + 5 * DAY] * 3,
        }
    )
    engagements = pd.DataFrame(
        {
            "member_id": [1, 2, 3, 3, 1, 3],
            "job_id": [10, 11, 10, 11, 12, 12],
            "action": ["apply", "apply", "click", "apply", "apply", "apply"],
            "channel": ["jymbii", "jymbii", "search", "search", "other", "other"],
            "request_id": pd.array([100, 101, 200, 200, None, None], dtype="Int64"),
            "at": [
                T0 + DAY + H,
                T0 + 4 * DAY + H,
                T0 + 5 * DAY + H,
                T0 + 5 * DAY + 2 * H,
                T0 + 2 * DAY,
                T0 + 5 * DAY + 3 * H,
            ],
        }
    )
    # member 1's apply to 10 is answered in train; member 3's apply to 12 (test) in test;
    # member 3's apply to 11 is answered only after the test window (does not count).
    recruiter = pd.DataFrame(
        {
            "job_id": [10, 12, 11],
            "member_id": [1, 3, 3],
            "action": ["positive_hearing_back", "positive_hearing_back", "positive_hearing_back"],
            "at": [T0 + 2 * DAY, T0 + 6 * DAY, T0 + 8 * DAY],
        }
    )
    return Tables(
        members=members,
        jobs=jobs,
        engagements=engagements,
        recruiter_actions=recruiter,
        impressions=impressions if with_impressions else None,
    )


def _rows(df: pd.DataFrame, cols: list[str]) -> set[tuple]:
    return set(df[cols].astype(str).itertuples(index=False, name=None))


def test_jymbii_labels_only_count_applies_inside_the_split_window():
    ex = build_examples("jymbii", _tables(), WINDOWS)
    assert _rows(ex, ["split", "request_id", "job_id", "label"]) == {
        ("train", "100", "10", "1"),
        ("train", "100", "11", "0"),
        ("train", "101", "10", "0"),
        ("train", "101", "11", "0"),  # apply came after day 4
    }


def test_search_keeps_the_query_and_click_as_secondary_label():
    ex = build_examples("search", _tables(), WINDOWS)
    assert _rows(ex, ["split", "request_id", "job_id", "label", "click", "query"]) == {
        ("test", "200", "10", "0", "1", "Data engineer"),
        ("test", "200", "11", "1", "1", "Data engineer"),
        ("test", "200", "12", "0", "0", "Data engineer"),
    }
    assert str(ex["click"].dtype) == "int8" and str(ex["label"].dtype) == "int8"


def test_taj_is_premium_applications_answered_before_the_window_ends():
    ex = build_examples("taj", _tables(), WINDOWS)
    # member 2 is not premium; member 3's answer on job 11 comes after the test window
    assert _rows(ex, ["split", "member_id", "job_id", "label"]) == {
        ("train", "1", "10", "1"),
        ("train", "1", "12", "0"),
        ("test", "3", "11", "0"),
        ("test", "3", "12", "1"),
    }
    assert ex.groupby("member_id")["request_id"].nunique().eq(1).all()


def test_ebr_positives_carry_the_search_query_of_their_request():
    ex = build_examples("ebr", _tables(), WINDOWS)
    got = _rows(ex, ["split", "member_id", "job_id", "label", "query"])
    assert got == {
        ("train", "1", "10", "1", "None"),
        ("train", "1", "12", "1", "None"),
        ("validation", "2", "11", "1", "None"),
        ("test", "3", "11", "1", "Data engineer"),
        ("test", "3", "12", "1", "None"),
    }
    synthetic = ex[ex["query"].isna() & ex["member_id"].isin([1, 3]) & ex["job_id"].eq(12)]
    assert (synthetic["request_id"] < 0).all()


def test_without_impressions_requests_come_from_engagements_plus_seeded_live_negatives():
    tables = _tables(with_impressions=False)
    a = build_examples("jymbii", tables, WINDOWS, negatives_per_request=2, seed=5)
    b = build_examples("jymbii", tables, WINDOWS, negatives_per_request=2, seed=5)
    pd.testing.assert_frame_equal(a, b)
    req = a[a["request_id"] == 100]
    assert _rows(req[req["label"] == 1], ["job_id"]) == {("10",)}
    negatives = set(req.loc[req["label"] == 0, "job_id"])
    # two of the jobs live at day 1 other than the engaged one (job 13 is posted on day 6)
    assert len(negatives) == 2 and negatives <= {11, 12}
    # a request built from engagements starts at its first engagement: 101 is a validation one
    req = a[a["request_id"] == 101]
    assert set(req["split"].astype(str)) == {"validation"}
    assert _rows(req[req["label"] == 1], ["job_id"]) == {("11",)}


def test_request_less_engagements_of_one_job_are_one_request_with_one_label():
    tables = _tables(with_impressions=False)
    # member 2, job 12, no request_id: a view and a click on day 1, an apply on day 2 (train),
    # and a view on day 5 (test): one train request labelled 1 and one test request labelled 0
    loose = pd.DataFrame(
        {
            "member_id": [2, 2, 2, 2],
            "job_id": [12, 12, 12, 12],
            "action": ["view", "click", "apply", "view"],
            "channel": ["jymbii"] * 4,
            "request_id": pd.array([None] * 4, dtype="Int64"),
            "at": [T0 + DAY, T0 + DAY + H, T0 + 2 * DAY, T0 + 5 * DAY + H],
        }
    )
    eng = pd.concat([tables.engagements, loose], ignore_index=True)
    ex = build_examples(
        "jymbii", replace(tables, engagements=eng), WINDOWS, negatives_per_request=1
    )
    mine = ex[(ex["member_id"] == 2) & (ex["job_id"] == 12) & (ex["request_id"] < 0)]
    assert _rows(mine, ["split", "label"]) == {("train", "1"), ("test", "0")}
    assert len(mine) == 2  # no label-0 twin of the apply with the same features
    train = mine[mine["split"] == "train"]
    assert train["at"].iloc[0] == pd.Timestamp(T0 + DAY)  # the request starts at the first one


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown ranker task 'nope'"):
        build_examples("nope", _tables(), WINDOWS)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    train_days=st.integers(1, 10),
    val_hours=st.integers(1, 48),
    gap_hours=st.integers(0, 72),
    test_days=st.integers(1, 10),
    task=st.sampled_from(["jymbii", "search", "taj", "ebr"]),
)
def test_examples_never_come_from_outside_their_window(
    tiny_tables, train_days, val_hours, gap_hours, test_days, task
):
    start = datetime(2026, 1, 20, tzinfo=UTC)
    train_end = start + timedelta(days=train_days) + timedelta(hours=val_hours)
    test_start = train_end + timedelta(hours=gap_hours)
    w = SplitWindows(
        start,
        train_end - timedelta(hours=val_hours),
        train_end,
        test_start,
        test_start + timedelta(days=test_days),
    )
    ex = build_examples(task, tiny_tables, w, negatives_per_request=2)
    for split, (lo, hi) in w.bounds().items():
        at = ex.loc[ex["split"] == split, "at"]
        assert ((at >= lo) & (at < hi)).all()
    assert set(ex["split"].astype(str)) <= {"train", "validation", "test"}


def test_downsampling_keeps_every_positive_and_a_seeded_share_of_training_negatives():
    from rankers.data.examples import downsample_negatives

    n = 4000
    examples = pd.DataFrame(
        {
            "split": pd.Categorical(
                ["train"] * (n // 2) + ["validation"] * (n // 4) + ["test"] * (n // 4),
                categories=["train", "validation", "test"],
            ),
            "request_id": range(n),
            "label": [1 if i % 10 == 0 else 0 for i in range(n)],
        }
    )
    kept = downsample_negatives(examples, 0.25)
    assert kept.equals(downsample_negatives(examples, 0.25))  # the same rows every time
    assert downsample_negatives(examples, 1.0) is examples
    for split in ("validation", "test"):
        assert (kept["split"] == split).sum() == (examples["split"] == split).sum()
    assert kept["label"].sum() == examples["label"].sum()
    train_negatives = ((examples["split"] == "train") & (examples["label"] == 0)).sum()
    kept_negatives = ((kept["split"] == "train") & (kept["label"] == 0)).sum()
    assert 0.2 < kept_negatives / train_negatives < 0.3
