"""Baselines and cut-offs on hand-made tables whose every value the test knows, and the live-
corpus ranks against a brute-force count."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from evaluation.baselines import baseline_values, job_popularity, overlap_scores, search_queries
from evaluation.corpus import candidate_sizes, choose_recall_k, corpus_ranks, live_corpus_sizes
from evaluation.task_metrics import MetricSettings
from tests.support.tables import graph_tables, ts


def test_recall_k_is_at_most_a_tenth_of_the_candidates():
    standard = (5, 10, 20, 50, 100)
    assert choose_recall_k(15, standard, 0.1) == 1  # 1.5 candidates: no standard K fits
    assert choose_recall_k(90, standard, 0.1) == 5
    assert choose_recall_k(200, standard, 0.1) == 20
    assert choose_recall_k(5000, standard, 0.1) == 100
    rows = pd.DataFrame({"request_id": [1] * 60 + [2] * 40, "label": 0})
    sizes = candidate_sizes("jymbii", rows, None, standard, 0.1)
    assert (sizes.median, sizes.min, sizes.max, sizes.recall_k) == (50.0, 40, 60, 5)


def test_live_corpus_sizes_and_ebr_cut_off_come_from_the_jobs_table():
    jobs = graph_tables().jobs  # 100, 101 live from days 1, 2; 102 from day 8; all to day 20
    at = pd.Series([ts(1), ts(3), ts(8), ts(20)])
    assert live_corpus_sizes(at, jobs).tolist() == [1, 2, 3, 0]
    rows = pd.DataFrame({"request_id": [7, 7], "at": [ts(9)] * 2, "rank": [1, 2], "label": 1})
    sizes = candidate_sizes("ebr", rows, jobs, (5, 10), 0.1)
    assert sizes.what == "live corpus" and sizes.median == 3 and sizes.recall_k == 1


def test_corpus_ranks_match_a_brute_force_count():
    rng = np.random.default_rng(0)
    n_jobs = 60
    posted = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 20, n_jobs), "D"
    )
    jobs = pd.DataFrame(
        {
            "job_id": np.arange(n_jobs) + 1000,
            "posted_at": posted,
            "expires_at": posted + pd.to_timedelta(rng.integers(1, 15, n_jobs), "D"),
        }
    )
    score = pd.Series(rng.integers(0, 4, n_jobs).astype(float), index=jobs["job_id"])
    score = score[score > 0]  # jobs without applies are missing: they score 0
    at = pd.Series(
        pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(rng.integers(0, 20, 200), "D")
    )
    job = pd.Series(rng.choice(jobs["job_id"], 200))
    lo, hi = corpus_ranks(at, job, jobs, score)
    full = jobs["job_id"].map(score).fillna(0).to_numpy()
    for i in range(200):
        live = (jobs["posted_at"] <= at[i]).to_numpy() & (at[i] < jobs["expires_at"]).to_numpy()
        own = score.get(job[i], 0.0)
        others = live & (jobs["job_id"] != job[i]).to_numpy()
        assert lo[i] == 1 + (live & (full > own)).sum()
        assert hi[i] == lo[i] + (others & (full == own)).sum()


def test_popularity_counts_applies_of_the_train_window_only():
    t = graph_tables()  # applies: member 10 -> job 100 on day 5, member 12 -> job 101 on day 6
    assert job_popularity(t.engagements, ts(5), ts(6)).to_dict() == {100: 1.0}
    assert job_popularity(t.engagements, ts(1), ts(7)).to_dict() == {100: 1.0, 101: 1.0}


def _rows(pairs, request_id=1, labels=None):
    df = pd.DataFrame(pairs, columns=["member_id", "job_id"])
    return df.assign(
        request_id=request_id,
        at=ts(9),
        label=labels if labels is not None else 0,
    )


def test_profile_overlap_counts_shared_title_and_skill_words():
    t = graph_tables()  # member 10: eng / python, sql, go; job 100: eng / python
    rows = _rows([(10, 100), (10, 101), (12, 101), (13, 102)])
    # 10-100: {eng, python}; 10-101 (pm, roadmaps): none; 12-101 (pm, roadmaps): both; 13-102: none
    assert overlap_scores(rows, t, None).tolist() == [2, 0, 2, 0]
    no_skills = replace(t, member_skills=None, job_skills=None)
    assert overlap_scores(rows, no_skills, None).tolist() == [1, 0, 1, 0]  # titles only
    queries = pd.Series(["figma designer"], index=pd.Index([1], name="request_id"))
    assert overlap_scores(rows, t, queries).tolist() == [2, 0, 2, 2]  # 102: designer / figma


def test_search_queries_come_from_search_impressions():
    imp = pd.DataFrame({"request_id": [5, 5, 6], "query": ["data eng", "data eng", None]})
    assert search_queries(imp).to_dict() == {5: "data eng"}
    assert search_queries(None) is None


def test_baselines_score_the_same_rows_and_say_what_they_left_out():
    t = graph_tables()
    # one request: job 100 (popular in the window, shares two words) is the apply
    rows = _rows([(10, 100), (10, 101), (10, 102)], labels=[1, 0, 0])
    settings = MetricSettings(tables=t, train_start=ts(1), train_end=ts(7))
    out = baseline_values("jymbii", rows, "ndcg@10", settings)
    assert out.values["profile_overlap"] == pytest.approx(1.0)
    # popularity ties jobs 100 and 101 (one apply each): the apply sits at position 1 or 2
    assert out.values["popularity"] == pytest.approx((1 + 1 / np.log2(3)) / 2)
    # item-kNN: jobs 100 and 101 share no member in the window, every similarity is 0: a tie
    assert out.values["item_knn"] == pytest.approx((1 + 1 / np.log2(3) + 1 / np.log2(4)) / 3)
    assert out.best()[1] == pytest.approx(1.0)
    assert (
        "impressions (queries)"
        in baseline_values("search", rows, "ndcg@10", settings).notes["profile_overlap"]
    )
    assert baseline_values("jymbii", rows, "ndcg@10", replace(settings, tables=None)).omitted
    late = replace(settings, train_start=ts(15), train_end=ts(16))
    assert baseline_values("jymbii", rows, "ndcg@10", late).omitted == {
        "popularity": "no apply in the train window",
        "item_knn": "no click, save or apply in the train window",
        "als": "no click, save or apply in the train window",
    }


def test_ebr_popularity_ranks_the_whole_live_corpus():
    t = graph_tables()
    settings = MetricSettings(tables=t, train_start=ts(1), train_end=ts(7))
    # at day 9 jobs 100, 101, 102 are live; job 100 and 101 have one apply each, 102 none
    rows = pd.DataFrame(
        {"request_id": [1, 2], "member_id": 10, "job_id": [102, 100], "at": ts(9), "label": 1}
    )
    out = baseline_values("ebr", rows, "recall@2", settings)
    # request 1: job 102 ranks 3rd (miss); request 2: job 100 ties with 101 for 1-2 (hit)
    assert out.values["popularity"] == pytest.approx(0.5)
    # item-kNN: every similarity is 0 (no job pair shares a member), all three tie: 2/3 each
    assert out.values["item_knn"] == pytest.approx(2 / 3)
    assert set(out.values) == {"popularity", "item_knn", "als"}
    assert "profile_overlap" not in out.values
