"""One pass, KNN then filter, filter then brute force: on small real faiss indexes."""

from __future__ import annotations

import numpy as np
import pytest

from linksage.config import IndexParams
from retrieval import Group, JobIndex, JobRules, Request, compare_ways
from retrieval.rules import RULES
from retrieval.ways import brute_force, no_rules, one_pass, post_filter
from tests.retrieval.test_rules import DAY, random_jobs


def clustered(n: int, dim: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    x = centres[rng.integers(len(centres), size=n)] + 0.5 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((32, 16))
    vectors = clustered(3000, 16, rng, centres)
    rules = JobRules(**random_jobs(3000, rng))
    requests = [
        Request(int(rng.integers(10 * DAY, 20 * DAY)), int(rng.integers(0, 7)),
                str(rng.choice(["paris", "lyon", "nice"])),
                frozenset(f"t{t}" for t in rng.choice(12, size=3, replace=False)))
        for _ in range(40)
    ]  # fmt: skip
    return vectors, rules, requests, clustered(40, 16, rng, centres)


def test_flat_one_pass_has_no_violation_and_is_filter_then_brute_force(corpus):
    vectors, rules, requests, queries = corpus
    index = JobIndex(vectors, IndexParams(kind="flat"))
    for request, q in zip(requests, queries, strict=True):
        got, exact = (
            one_pass(index, rules, request, q, 50),
            brute_force(index, rules, request, q, 50),
        )
        assert rules.check(got.rows, request).all()
        assert got.rows.tolist() == exact.rows.tolist()
        np.testing.assert_allclose(got.scores, exact.scores, atol=1e-5)
        assert len(got.rows) == min(50, len(rules.rows(request)))


def test_post_filter_returns_fewer_than_k_and_only_passing_jobs(corpus):
    vectors, rules, requests, queries = corpus
    index = JobIndex(vectors, IndexParams(kind="flat"))
    lengths = []
    for request, q in zip(requests, queries, strict=True):
        got = post_filter(index, rules, request, q, 50, overfetch=2)
        assert rules.check(got.rows, request).all()
        lengths.append(len(got.rows))
    assert min(lengths) < 50  # the rules keep a few percent of 3000 jobs: 100 fetched is too few
    # without the rules, only liveness filters
    plain = no_rules(index, rules, requests[0], queries[0], 50)
    assert len(plain.rows) == 50 and set(plain.rows) <= set(rules.live_rows(requests[0].at_ns))


def test_hnsw_one_pass_recall_against_exact(corpus):
    vectors, rules, requests, queries = corpus
    exact = JobIndex(vectors, IndexParams(kind="flat"))
    # exact_below=0: every request walks the graph through the filter
    hnsw = JobIndex(vectors, IndexParams(kind="hnsw", hnsw_m=16, exact_below=0))
    live = [rules.live_rows(r.at_ns) for r in requests]
    recall = np.mean([
        np.isin(exact.search(q, 20, rows)[0], hnsw.search(q, 20, rows)[0]).mean()
        for q, rows in zip(queries, live, strict=True)
    ])  # fmt: skip
    assert recall >= 0.9
    for request, q in zip(requests, queries, strict=True):
        assert rules.check(one_pass(hnsw, rules, request, q, 20).rows, request).all()
    # below exact_below passing rows the HNSW index scans its own storage: exact, still one pass
    fallback = JobIndex(vectors, IndexParams(kind="hnsw", hnsw_m=16, exact_below=10**6))
    for request, q in zip(requests, queries, strict=True):
        got = one_pass(fallback, rules, request, q, 20).rows
        assert got.tolist() == brute_force(exact, rules, request, q, 20).rows.tolist()


def test_compare_ways_reports_recall_violations_and_latency(corpus):
    vectors, rules, requests, queries = corpus
    index = JobIndex(vectors, IndexParams(kind="flat"))
    # each request "applied" to its exact top 5 and to one job that breaks the rules
    applied = [
        np.append(brute_force(index, rules, r, q, 5).rows, np.flatnonzero(~rules.check(np.arange(3000), r))[:1])
        for r, q in zip(requests, queries, strict=True)
    ]  # fmt: skip
    out = compare_ways([Group(index, rules, requests, queries, applied)], k=10, overfetch=2)
    assert out["n_requests"] == 40 and out["k"] == 10
    for way in ("one_pass", "brute_force"):
        assert out[way]["violations"] == 0
        assert out[way]["recall@10"] == pytest.approx(
            np.mean([min(len(a) - 1, 5) / len(a) for a in applied])
        )
        assert 0 <= out[way]["p50_ms"] <= out[way]["p99_ms"]
    assert out["post_filter"]["violations"] == 0
    assert out["post_filter"]["recall@10"] < out["one_pass"]["recall@10"]
    assert out["post_filter"]["short"] > 0


def test_compare_ways_says_what_each_rule_removes_and_how_often_fewer_than_k_pass(corpus):
    vectors, rules, requests, queries = corpus
    index = JobIndex(vectors, IndexParams(kind="flat"))
    applied = [np.zeros(0, dtype=np.int64)] * len(requests)
    out = compare_ways([Group(index, rules, requests, queries, applied)], k=30, overfetch=2)
    expected = {}
    for name in RULES:
        shares = []
        for r in requests:
            n_live, removed = rules.removed_by_rule(r)
            shares.append(removed[name] / n_live)
        expected[name] = {"columns": list(RULES[name]), "removes": pytest.approx(np.mean(shares))}
    assert out["by_rule"] == expected
    assert out["by_rule"]["location_or_remote"]["columns"] == ["jobs.location", "members.location"]
    passing = np.array([len(rules.rows(r)) for r in requests])
    assert out["fewer_than_k"] == pytest.approx(np.mean(passing < 30))
    assert 0 < out["fewer_than_k"] < 1  # 15 to 39 jobs pass per request: some below 30
    assert out["live"] == pytest.approx(np.mean([len(rules.live_rows(r.at_ns)) for r in requests]))
    # an empty corpus of requests: nothing measured, no division by zero
    empty = compare_ways([], k=10, overfetch=2)
    assert empty["fewer_than_k"] is None and empty["by_rule"]["shared_term"]["removes"] is None
