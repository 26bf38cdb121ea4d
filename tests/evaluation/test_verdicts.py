"""Each verdict rule on a primary-metric comparison built by hand (the rules: docs/report.md)."""

from __future__ import annotations

import pytest

from evaluation.baselines import Baselines
from evaluation.power import z_effect_factor
from evaluation.result import TaskResult
from evaluation.significance import MetricComparison
from evaluation.verdicts import Verdict, VerdictRules, decide, rules_warning

RULES = VerdictRules(alpha=0.05, power=0.8, max_mde_pct=10.0, min_training_positives=1000)


def _m(control=0.40, treatment=0.41, p=0.5, mde=5.0, n=2000) -> MetricComparison:
    """A bootstrap comparison whose MDE is `mde` % (se = mde% of control / (z + z))."""
    se = mde / 100 * control / z_effect_factor(0.05, 0.8)
    lift = 100 * (treatment / control - 1)
    return MetricComparison(
        control, treatment, lift, lift - 2, lift + 2, p, n, "paired bootstrap", diff_se=se
    )


def _decide(m, baselines=None, positives=5000):
    return decide(
        "ndcg@10",
        m,
        baselines=Baselines(values=baselines or {"popularity": 0.30}),
        training_positives=positives,
        rules=RULES,
    )


def test_a_control_weaker_than_a_baseline_makes_any_lift_not_credible():
    v = _decide(_m(p=1e-6, treatment=0.5), {"popularity": 0.45, "profile_overlap": 0.42})
    assert v.verdict == "not_credible"
    assert v.reason.startswith("control weaker than baseline popularity")
    assert "lift not credible" in v.reason
    assert _decide(_m(), {"popularity": 0.40}).verdict == "not_credible"  # a tie does not beat
    undefined = _m(control=float("nan"))
    assert _decide(undefined).verdict == "not_credible"


def test_significant_lifts_are_better_or_worse_by_sign():
    assert _decide(_m(p=0.001, treatment=0.45)).verdict == "gnn_better"
    worse = _decide(_m(p=0.001, treatment=0.35))
    assert worse.verdict == "gnn_worse" and "p = 0.001" in worse.reason
    # significant even with a large MDE: the test did see it
    assert _decide(_m(p=0.001, treatment=0.45, mde=30)).verdict == "gnn_better"


def test_too_few_training_positives_come_first_whatever_the_test_says():
    significant = _decide(_m(p=0.001, treatment=0.45), positives=20)
    assert significant.verdict == "underpowered"
    assert "20 positives" in significant.reason and "about 50.0x" in significant.reason
    weak_control = _decide(_m(p=0.5), {"item_knn": 0.55}, positives=20)
    assert weak_control.verdict == "underpowered"
    assert "control weaker than baseline item_knn" in weak_control.reason
    assert _decide(_m(p=0.5), {"item_knn": 0.55}).verdict == "not_credible"


def test_only_popularity_and_item_knn_decide_credibility():
    strong_others = {"popularity": 0.30, "als": 0.60, "profile_overlap": 0.55}
    v = _decide(_m(p=0.001, treatment=0.45), strong_others)
    assert v.verdict == "gnn_better"  # ALS and the overlap are reported beside, never decide
    knn = _decide(_m(p=0.001, treatment=0.45), {**strong_others, "item_knn": 0.41})
    assert knn.verdict == "not_credible"
    assert knn.reason.startswith("control weaker than baseline item_knn (ndcg@10 0.4 vs 0.41)")
    # both unbeaten: the stronger is named
    both = _decide(_m(p=0.001), {"popularity": 0.45, "item_knn": 0.41})
    assert "baseline popularity" in both.reason


def _rules(short: float | None, removes: dict) -> dict:
    by_rule = {
        n: {"columns": [f"jobs.{n}", f"members.{n}"], "removes": r} for n, r in removes.items()
    }
    return {"k": 100, "fewer_than_k": short, "by_rule": by_rule}


def test_rules_that_leave_fewer_than_k_jobs_for_most_requests_warn_by_name_and_column():
    rules = _rules(1.0, {"location": 0.99, "seniority": 0.6, "terms": None})
    assert rules_warning(rules) == (
        "the quality rules leave fewer than 100 jobs for 100% of EBR requests; rule location "
        "(column jobs.location, members.location) removes 99% of the live jobs "
        "(details.ebr.rules.by_rule)"
    )
    assert rules_warning(_rules(0.5, {"location": 0.99})) is None  # half is not most
    assert rules_warning(_rules(None, {"location": 0.99})) is None
    assert rules_warning(None) is None
    # the report's EBR task carries it beside its verdict, once
    result = TaskResult("ebr", "recall@10", 10, {"control": [0], "treatment": [0]})
    result.verdict = _decide(_m(p=0.001, treatment=0.45))
    result.attach_retrieval_rules(rules)
    result.attach_retrieval_rules(rules)
    assert result.verdict.verdict == "gnn_better"
    assert result.verdict.warnings == (rules_warning(rules),)
    details = result.details()
    assert details["verdict_warnings"] == [rules_warning(rules)] and details["rules"] == rules
    quiet = TaskResult("ebr", "recall@10", 10, {"control": [0], "treatment": [0]})
    quiet.verdict = Verdict("gnn_better", "x", 1.0)
    quiet.attach_retrieval_rules(_rules(0.1, {"location": 0.99}))
    assert quiet.details()["verdict_warnings"] == []


def test_underpowered_says_how_many_requests_it_would_need():
    v = _decide(_m(mde=25.0, n=2000))
    assert v.verdict == "underpowered"
    assert v.mde_pct == pytest.approx(25.0)
    assert v.requests_needed == 12_500  # 2000 * (25 / 10)^2
    assert "12,500 requests" in v.reason
    few = _decide(_m(mde=5.0), positives=400)
    assert few.verdict == "underpowered" and "400 positives" in few.reason
    assert "about 2.5x the train window's activity" in few.reason  # 1,000 / 400


def test_no_detectable_difference_when_the_test_could_have_seen_a_10_percent_lift():
    v = _decide(_m(mde=5.0, p=0.4))
    assert v.verdict == "no_detectable_difference"
    assert "5.0%" in v.reason
    assert _decide(_m(mde=5.0, p=0.4), positives=None).verdict == "no_detectable_difference"


def test_a_validation_slice_far_colder_or_warmer_than_the_test_window_is_a_warning():
    from evaluation.verdicts import cold_share_warning

    assert cold_share_warning({"validation": 0.22, "test": 0.84}).startswith(
        "84% of the test window's positives"
    )
    assert cold_share_warning({"validation": 0.80, "test": 0.84}) is None  # within 10 points
    assert cold_share_warning({"validation": None, "test": 0.84}) is None
    assert cold_share_warning(None) is None
