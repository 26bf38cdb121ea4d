"""Per-request metrics against hand-computed cases and scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import ndcg_score, roc_auc_score

from evaluation.metrics import corpus_recall, ndcg_at_k, recall_at_k, request_metrics


def _frame(groups):
    rows = []
    for rid, (labels, scores) in enumerate(groups):
        rows += [
            {"request_id": rid, "label": y, "score": s} for y, s in zip(labels, scores, strict=True)
        ]
    return pd.DataFrame(rows)


def test_ndcg_hand_computed():
    # ranking by score: [0, 1, 0, 1] -> DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    labels, scores = [1, 0, 1, 0], [0.7, 0.9, 0.1, 0.2]
    dcg = 1 / np.log2(3) + 1 / np.log2(5)
    idcg = 1 + 1 / np.log2(3)
    assert ndcg_at_k(labels, scores, 10) == pytest.approx(dcg / idcg)
    # at k=2 only the first positive counts; the ideal still holds 2 positives
    assert ndcg_at_k(labels, scores, 2) == pytest.approx((1 / np.log2(3)) / idcg)
    assert ndcg_at_k(labels, scores, 1) == pytest.approx(0.0)


def test_ties_are_averaged_like_sklearn():
    # all scores tied: each position equally likely for each item
    labels, scores = [1, 0, 0], [0.5, 0.5, 0.5]
    expected = np.mean(1 / np.log2(np.arange(2, 5)))
    assert ndcg_at_k(labels, scores, 3) == pytest.approx(expected)
    assert ndcg_at_k(labels, scores, 3) == pytest.approx(ndcg_score([labels], [scores], k=3))
    assert recall_at_k(labels, scores, 1) == pytest.approx(1 / 3)


def test_mrr_auc_recall_hand_computed():
    df = _frame([([0, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]), ([1, 1, 0], [0.2, 0.9, 0.5])])
    m = request_metrics(df, ndcg_k=(10,), recall_k=(1, 2))
    assert m.loc[0, "mrr"] == pytest.approx(1 / 3)
    assert m.loc[1, "mrr"] == pytest.approx(1.0)
    # request 0: the positive beats 1 of 3 negatives; request 1: positives beat the negative 1 of 2
    assert m.loc[0, "auc"] == pytest.approx(1 / 3)
    assert m.loc[1, "auc"] == pytest.approx(1 / 2)
    assert m.loc[0, "recall@2"] == 0.0
    assert m.loc[1, "recall@1"] == pytest.approx(0.5)
    assert m.loc[1, "recall@2"] == pytest.approx(0.5)


def test_undefined_requests_are_nan():
    df = _frame([([0, 0], [0.3, 0.2]), ([1, 1], [0.3, 0.2])])
    m = request_metrics(df)
    assert np.isnan(m.loc[0, "ndcg@10"]) and np.isnan(m.loc[0, "mrr"])
    assert np.isnan(m.loc[0, "auc"]) and np.isnan(m.loc[1, "auc"])
    assert m.loc[1, "ndcg@10"] == pytest.approx(1.0)


def test_against_sklearn_on_random_requests():
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(60):
        n = int(rng.integers(3, 30))
        labels = rng.integers(0, 2, n)
        labels[0], labels[1] = 1, 0  # both classes present
        scores = np.round(rng.random(n), 1)  # rounding makes ties common
        groups.append((labels, scores))
    m = request_metrics(_frame(groups), ndcg_k=(5, 10))
    for rid, (labels, scores) in enumerate(groups):
        assert m.loc[rid, "auc"] == pytest.approx(roc_auc_score(labels, scores))
        for k in (5, 10):
            assert m.loc[rid, f"ndcg@{k}"] == pytest.approx(ndcg_score([labels], [scores], k=k))


def test_proxy_flags_are_summed_over_top10():
    labels = [1] * 12
    scores = np.arange(12, 0, -1) / 12  # distinct, descending
    flags = np.zeros(12)
    flags[[0, 9, 10]] = 1  # positions 1, 10 and 11: two of them in the top 10
    m = request_metrics(_frame([(labels, scores)]), extra_top10={"x@10": flags})
    assert m.loc[0, "x@10"] == pytest.approx(2.0)


def test_corpus_recall_counts_only_positives_ranks():
    df = pd.DataFrame(
        {
            "request_id": [1, 1, 1, 1, 2, 2],
            "label": [1, 0, 1, 1, 0, 1],
            "rank": [3, 1, 40, 250, 1, 77],
        }
    )
    r = corpus_recall(df, ks=(10, 50, 100))
    assert r.loc[1, "recall@10"] == pytest.approx(1 / 3)
    assert r.loc[1, "recall@50"] == pytest.approx(2 / 3)
    assert r.loc[1, "recall@100"] == pytest.approx(2 / 3)
    assert r.loc[2, "recall@50"] == 0.0 and r.loc[2, "recall@100"] == 1.0
    assert r.loc[1, "mrr"] == pytest.approx(1 / 3)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, 0.3, 0.9])),
        min_size=2,
        max_size=25,
    ),
    st.integers(1, 12),
)
def test_property_ndcg_auc_recall_match_definitions(pairs, k):
    labels = np.array([p[0] for p in pairs])
    scores = np.array([p[1] for p in pairs])
    m = request_metrics(_frame([(labels, scores)]), ndcg_k=(k,), recall_k=(k,)).iloc[0]
    if labels.sum() == 0:
        assert np.isnan(m[f"ndcg@{k}"]) and np.isnan(m[f"recall@{k}"])
        return
    assert m[f"ndcg@{k}"] == pytest.approx(ndcg_score([labels], [scores], k=k))
    assert 0.0 <= m[f"recall@{k}"] <= 1.0 + 1e-12
    if labels.sum() < len(labels):
        assert m["auc"] == pytest.approx(roc_auc_score(labels, scores))
    # recall@k is the expected share of positives in the top k under random tie order
    rng = np.random.default_rng(0)
    draws = [labels[np.lexsort((rng.random(len(scores)), -scores))][:k].sum() for _ in range(400)]
    assert m[f"recall@{k}"] == pytest.approx(np.mean(draws) / labels.sum(), abs=0.08)
