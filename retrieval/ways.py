"""Three ways to apply the quality rules to a nearest-neighbour search, and their comparison.

- `one_pass`: the rules become the index's own filter (faiss IDSelector), one search;
- `post_filter`: KNN for `overfetch * k`, then the rules on what came back (may return < k);
- `brute_force`: the rules first, then an exact numpy scan of the rows left.

`compare_ways` runs all three on the same requests and reports, per way, recall@k of the
requests' applies, rule violations among the returned jobs, jobs returned and latency; and, per
rule, the share of the live jobs it removes on its own, with the share of requests that the rules
together leave with fewer than k jobs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.index import JobIndex
from retrieval.rules import RULES, JobRules, Request

WAYS = ("one_pass", "post_filter", "brute_force")


@dataclass(frozen=True)
class Hits:
    """Rows of the corpus (best first) and their scores."""

    rows: np.ndarray
    scores: np.ndarray


def one_pass(index: JobIndex, rules: JobRules, request: Request, query, k: int) -> Hits:
    """The rules as the index's filter: the top k among the passing rows, in one search."""
    return Hits(*index.search(query, k, rules.rows(request)))


def post_filter(
    index: JobIndex, rules: JobRules, request: Request, query, k: int, *, overfetch: int
) -> Hits:
    """KNN for overfetch * k rows, then keep the first k that pass the rules."""
    rows, scores = index.search(query, k * overfetch)
    keep = np.flatnonzero(rules.check(rows, request))[:k]
    return Hits(rows[keep], scores[keep])


def brute_force(index: JobIndex, rules: JobRules, request: Request, query, k: int) -> Hits:
    """The passing rows first, then an exact scan of their vectors."""
    return Hits(*index.brute_force(query, k, rules.rows(request)))


def no_rules(index: JobIndex, rules: JobRules, request: Request, query, k: int) -> Hits:
    """Plain KNN, rules ignored (`--no-rules`; the job still has to be live)."""
    return Hits(*index.search(query, k, rules.live_rows(request.at_ns)))


@dataclass
class Group:
    """Requests answered from one index (e.g. one day's corpus): their member vectors and,
    per request, the corpus rows of its applied jobs."""

    index: JobIndex
    rules: JobRules
    requests: Sequence[Request]
    queries: np.ndarray
    applied: Sequence[np.ndarray]


def compare_ways(groups: Iterable[Group], *, k: int, overfetch: int) -> dict:
    """The three ways on the same requests: `passing` (mean jobs passing the rules per
    request), `live` (mean live jobs), `by_rule` (per rule: the input columns it reads and
    `removes`, the mean share of the live jobs it removes on its own), `fewer_than_k` (share of
    requests the rules leave with fewer than k jobs), and per way `recall@k` (mean over requests with an apply of the share of applied
    jobs returned), `violations` (returned jobs breaking a rule, summed), `candidates` (mean
    jobs returned), `short` (requests returning fewer than k), `p50_ms` and `p99_ms`
    (per-request latency, rules included)."""
    found: dict[str, list] = {w: [] for w in WAYS}
    millis: dict[str, list[float]] = {w: [] for w in WAYS}
    recalls: dict[str, list[float]] = {w: [] for w in WAYS}
    violations = dict.fromkeys(WAYS, 0)
    ways = {
        "one_pass": one_pass,
        "post_filter": lambda *a: post_filter(*a, overfetch=overfetch),
        "brute_force": brute_force,
    }
    passing, live = [], []
    removed: dict[str, list[float]] = {name: [] for name in RULES}
    for g in groups:
        for i, request in enumerate(g.requests):
            passing.append(len(g.rules.rows(request)))
            n_live, by_rule = g.rules.removed_by_rule(request)
            live.append(n_live)
            for name, n in by_rule.items():
                if n_live:  # a request with no live job says nothing of what a rule removes
                    removed[name].append(n / n_live)
            for name, way in ways.items():
                start = time.perf_counter()
                hits = way(g.index, g.rules, request, g.queries[i], k)
                millis[name].append((time.perf_counter() - start) * 1e3)
                found[name].append(len(hits.rows))
                violations[name] += int((~g.rules.check(hits.rows, request)).sum())
                if len(g.applied[i]):
                    recalls[name].append(float(np.isin(g.applied[i], hits.rows).mean()))
    return {
        "k": k,
        "overfetch": overfetch,
        "n_requests": len(passing),
        "passing": _mean(passing),
        "live": _mean(live),
        "by_rule": {
            name: {"columns": list(columns), "removes": _mean(removed[name])}
            for name, columns in RULES.items()
        },
        "fewer_than_k": _mean(np.asarray(passing) < k),
        **{
            w: {
                f"recall@{k}": _mean(recalls[w]),
                "violations": violations[w],
                "candidates": _mean(found[w]),
                "short": int(np.sum(np.asarray(found[w]) < k)),
                "p50_ms": _pct(millis[w], 50),
                "p99_ms": _pct(millis[w], 99),
            }
            for w in WAYS
        },
    }


def _mean(values) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _pct(values, q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None
