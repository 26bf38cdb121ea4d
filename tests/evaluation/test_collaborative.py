"""Item-kNN and ALS baselines: cosines computed by hand on 3 members x 4 jobs, the point-in-time
history to the nanosecond, the live-corpus ranks against a brute force, ALS deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.baselines import baseline_values
from evaluation.collaborative import (
    Catalogue,
    ItemKnn,
    corpus_positions,
    fit_als,
    fit_baselines,
    row_scores,
)
from evaluation.task_metrics import MetricSettings
from linksage.data.history import KNN_SHRINK, EngagementLog, engagement_matrix, item_similarity
from linksage.data.tables import Tables
from linksage.timeutil import ns_array
from tests.support.tables import ts

# train window: days 1-10. Members 1-3 engage with jobs 1-4 (clicks, saves, applies):
#   member 1: jobs 1, 2; member 2: jobs 1, 2, 3; member 3: jobs 3, 4.
# Co-engagement: (1,2) 2, (1,3) 1, (2,3) 1, (3,4) 1; engaged members: 2, 2, 2, 1.
# Cosines: s12 = 2/sqrt(2*2) = 1, s13 = s23 = 1/2, s34 = 1/sqrt(2*1), s14 = s24 = 0.
START, END = ts(1), ts(10)


def _engagements() -> pd.DataFrame:
    rows = [
        (1, 1, "click", ts(2)),
        (1, 2, "apply", ts(3)),
        (1, 1, "view", ts(4)),  # a view is no engagement here
        (2, 1, "save", ts(2)),
        (2, 2, "apply", ts(3)),
        (2, 3, "click", ts(4)),
        (3, 3, "apply", ts(5)),
        (3, 4, "click", ts(5)),
        (3, 4, "dismiss", ts(6)),  # nor is a dismiss
        (4, 3, "click", ts(1) - pd.Timedelta(days=3)),  # before the window: history, not the fit
        (4, 1, "apply", ts(12)),  # after the window: history for later requests only
    ]
    return pd.DataFrame(rows, columns=["member_id", "job_id", "action", "at"])


def _jobs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "job_id": [1, 2, 3, 4, 5],  # job 5 is live but never engaged with
            "title": ["a", "b", "c", "d", "e"],
            "posted_at": [ts(1), ts(1), ts(1), ts(1), ts(11)],
            "expires_at": [ts(30), ts(30), ts(30), ts(14), ts(30)],  # job 4 expires on day 14
        }
    )


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue.build(_jobs(), _engagements())


def test_item_similarity_is_the_shrunk_cosine_of_co_engagement(catalogue):
    x, members = engagement_matrix(_engagements(), catalogue.ids, START, END)
    assert members.tolist() == [1, 2, 3]  # member 4 engaged outside the window only
    assert x.toarray().tolist() == [[1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [0, 0, 1, 1, 0]]
    s = item_similarity(x, shrink=0.0).toarray()
    r2 = 1 / np.sqrt(2)
    expected = [[0, 1, 0.5, 0, 0], [1, 0, 0.5, 0, 0], [0.5, 0.5, 0, r2, 0], [0, 0, r2, 0, 0]]
    np.testing.assert_allclose(s, expected + [[0] * 5])
    shrunk = item_similarity(x).toarray()  # the default shrink: co / (sqrt(n_i n_j) + shrink)
    assert shrunk[0, 1] == pytest.approx(2 / (2 + KNN_SHRINK))
    assert shrunk[2, 3] == pytest.approx(1 / (np.sqrt(2) + KNN_SHRINK))
    # one neighbour per job: job 3 keeps job 4 (0.71 > 0.5), job 1 keeps job 2
    top1 = item_similarity(x, top_k=1, shrink=0.0).toarray()
    assert (top1 > 0).sum(axis=0).tolist() == [1, 1, 1, 1, 0]
    assert top1[3, 2] == pytest.approx(r2) and top1[1, 0] == pytest.approx(1) and top1[0, 2] == 0


def test_the_history_is_point_in_time_strictly_before_the_request(catalogue):
    history = EngagementLog(_engagements(), catalogue.ids)
    at = ns_array([ts(3), ts(3) + pd.Timedelta(1, "ns"), ts(1), ts(13)])
    h = history.matrix(np.array([1, 1, 4, 4]), at)
    assert h.toarray()[:, :4].tolist() == [
        [1, 0, 0, 0],  # the apply on job 2 at exactly the request time does not count
        [1, 1, 0, 0],  # one nanosecond later it does
        [0, 0, 1, 0],  # a click before the train window counts (any time before the request)
        [1, 0, 1, 0],  # and an apply after it, in the test window, before the request
    ]


def test_item_knn_scores_candidates_against_the_prior_engagements(catalogue):
    x, _ = engagement_matrix(_engagements(), catalogue.ids, START, END)
    knn = ItemKnn(item_similarity(x, shrink=0.0), EngagementLog(_engagements(), catalogue.ids))
    rows = pd.DataFrame(
        {"member_id": 1, "job_id": [2, 3, 4, 99], "at": [ts(3)] * 3 + [ts(20)]}
    )  # job 99 is unknown: 0
    np.testing.assert_allclose(row_scores(knn, catalogue, rows), [1.0, 0.5, 0.0, 0.0])
    later = rows.assign(at=ts(20))  # history {1, 2}: job 2 gets s12 + 0, job 3 0.5 + 0.5
    np.testing.assert_allclose(row_scores(knn, catalogue, later), [1.0, 1.0, 0.0, 0.0])
    # member 4 (no engagement in the window) at day 13: history {1, 3}
    cold = pd.DataFrame({"member_id": 4, "job_id": [2, 4, 5], "at": ts(13)})
    np.testing.assert_allclose(row_scores(knn, catalogue, cold), [1.0 + 0.5, 1 / np.sqrt(2), 0.0])


def test_corpus_positions_rank_among_the_jobs_live_at_the_request(catalogue):
    x, _ = engagement_matrix(_engagements(), catalogue.ids, START, END)
    knn = ItemKnn(item_similarity(x, shrink=0.0), EngagementLog(_engagements(), catalogue.ids))
    # member 4 at day 13, history {1, 3}: scores 1: 0.5, 2: 1.5, 3: 0.5, 4: 0.71, 5: 0; all live
    # at day 15 job 4 has expired
    rows = pd.DataFrame(
        {"member_id": 4, "job_id": [2, 4, 1, 1, 4, 5], "at": [ts(13)] * 3 + [ts(15)] * 3}
    )
    lo, hi = corpus_positions(knn, catalogue, rows)
    assert lo.tolist() == [1, 2, 3, 2, 2, 4]
    assert hi.tolist() == [1, 2, 4, 3, 2, 4]  # job 1 ties with job 3; expired job 4 ranked anyway


def test_item_knn_and_ranks_match_a_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    n_jobs, n_members = 40, 30
    start = pd.Timestamp("2026-01-01", tz="UTC")
    at = start + pd.to_timedelta(rng.integers(0, 20 * 24, 600), "h")
    e = pd.DataFrame({"member_id": rng.integers(0, n_members, 600),
                      "job_id": rng.integers(0, n_jobs, 600),
                      "action": rng.choice(["click", "save", "apply", "view"], 600), "at": at})  # fmt: skip
    posted = start + pd.to_timedelta(rng.integers(0, 20, n_jobs), "D")
    jobs = pd.DataFrame({"job_id": np.arange(n_jobs), "posted_at": posted,
                         "expires_at": posted + pd.to_timedelta(rng.integers(1, 10, n_jobs), "D")})  # fmt: skip
    cat = Catalogue.build(jobs, e)
    x, _ = engagement_matrix(e, cat.ids, start, start + pd.Timedelta(days=10))
    sim = item_similarity(x, top_k=5, shrink=2.0)
    knn = ItemKnn(sim, EngagementLog(e, cat.ids))
    rows = pd.DataFrame({"member_id": rng.integers(0, n_members, 200),
                         "job_id": rng.integers(0, n_jobs, 200),
                         "at": start + pd.to_timedelta(rng.integers(10 * 24, 25 * 24, 200), "h")})  # fmt: skip
    # brute force: the binary matrix read from the window's rows, dense cosine with shrink, top
    # 5 per column, the history read row by row
    window = e[(e["action"] != "view") & (e["at"] < start + pd.Timedelta(days=10))]
    xd = np.zeros((n_members, n_jobs))
    xd[window["member_id"], window["job_id"]] = 1.0
    assert window.duplicated(["member_id", "job_id"]).any()  # repeats count once
    n = np.sqrt(xd.sum(axis=0))
    full = (xd.T @ xd) / (np.outer(n, n) + 2.0)
    np.fill_diagonal(full, 0)
    for j in range(n_jobs):
        order = np.lexsort((np.arange(n_jobs), -full[:, j]))
        full[order[5:], j] = 0
    np.testing.assert_allclose(sim.toarray(), full)
    engaged = e[e["action"] != "view"]
    scores = row_scores(knn, cat, rows)
    lo, hi = corpus_positions(knn, cat, rows)
    for i, r in rows.iterrows():
        prior = engaged[(engaged["member_id"] == r["member_id"]) & (engaged["at"] < r["at"])]
        s = full[np.unique(prior["job_id"])].sum(axis=0)
        assert scores[i] == pytest.approx(s[r["job_id"]])
        live = ((jobs["posted_at"] <= r["at"]) & (r["at"] < jobs["expires_at"])).to_numpy()
        own = s[r["job_id"]]
        others = live & (np.arange(n_jobs) != r["job_id"])
        assert lo[i] == 1 + (live & (s > own + 1e-12)).sum()
        assert hi[i] == lo[i] + (others & np.isclose(s, own, atol=1e-12)).sum()


def test_als_is_finite_deterministic_and_zero_outside_the_fit(catalogue):
    x, members = engagement_matrix(_engagements(), catalogue.ids, START, END)
    a, b = fit_als(x, members), fit_als(x, members)
    np.testing.assert_array_equal(a.member_factors, b.member_factors)
    np.testing.assert_array_equal(a.job_factors, b.job_factors)
    rows = pd.DataFrame({"member_id": [1, 1, 1, 1, 4, 1], "job_id": [1, 2, 3, 4, 1, 5],
                         "at": ts(20)})  # fmt: skip
    scores = row_scores(a, catalogue, rows)
    assert np.isfinite(scores).all()
    # the fit reproduces member 1's engagements (jobs 1, 2) over the others
    assert min(scores[:2]) > 0.5 > max(abs(scores[2:4]))
    assert scores[4] == 0 and scores[5] == 0  # member 4 and job 5 have no factor


def _tables() -> Tables:
    members = pd.DataFrame({"member_id": [1, 2, 3, 4], "title": "x"})
    return Tables(members=members, jobs=_jobs(), engagements=_engagements())


def test_baseline_values_carry_item_knn_and_als_for_ranking_and_ebr():
    settings = MetricSettings(tables=_tables(), train_start=START, train_end=END)
    # member 1 at day 3 (history {1}): request 7 applies to job 2 (ranked 1st of 2, 3, 4 by
    # item-kNN), request 8 to job 4 (3rd: discount 1/log2(4) = 0.5)
    rows = pd.DataFrame({"request_id": [7, 7, 7, 8, 8, 8], "member_id": 1,
                         "job_id": [2, 3, 4, 2, 3, 4], "at": ts(3),
                         "label": [1, 0, 0, 0, 0, 1]})  # fmt: skip
    out = baseline_values("jymbii", rows, "ndcg@10", settings)
    assert out.values["item_knn"] == pytest.approx((1.0 + 0.5) / 2)
    assert np.isfinite(out.values["als"])
    assert list(out.values) == ["popularity", "item_knn", "als", "profile_overlap"]
    assert "scores 0" in out.notes["als"] and "strictly before" in out.notes["item_knn"]
    # EBR, member 4 at day 13 (history {1, 3}): job 2 is first of the 5 live jobs, job 1 ties
    # with job 3 for 3rd-4th: recall@2 = (1 + 0) / 2
    ebr = pd.DataFrame({"request_id": [1, 2], "member_id": 4, "job_id": [2, 1],
                        "at": ts(13), "label": 1})  # fmt: skip
    got = baseline_values("ebr", ebr, "recall@2", settings)
    assert got.values["item_knn"] == pytest.approx(0.5)
    assert set(got.values) == {"popularity", "item_knn", "als"}
    # a window without engagements: both omitted with the reason
    empty = MetricSettings(tables=_tables(), train_start=ts(20), train_end=ts(21))
    none = baseline_values("jymbii", rows, "ndcg@10", empty)
    assert none.omitted["item_knn"] == "no click, save or apply in the train window"
    assert "als" in none.omitted and "item_knn" not in none.values


def test_the_fit_is_shared_by_the_tasks_of_one_window():
    t = _tables()
    first = fit_baselines(t.engagements, t.jobs, START, END)
    assert fit_baselines(t.engagements, t.jobs, START, END) is first
    assert fit_baselines(t.engagements, t.jobs, START, ts(9)) is not first
