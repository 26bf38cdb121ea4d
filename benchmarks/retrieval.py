"""Retrieval with quality rules: one pass (faiss filtered search) vs KNN-then-filter vs
filter-then-brute-force, top-100 over 1M jobs x 64 dims.

Synthetic corpus: clustered unit vectors (embeddings are not uniform noise), and rule attributes
drawn with a realistic selectivity: Zipf-distributed metros plus 8% remote jobs, seniority 0-6,
a 2-4 week live window over 4 months of postings, 8 Zipf-distributed title/skill terms per job
and per member. Ground truth per request is the exact top-k among the rows passing the rules
(brute force); recall@k is measured against it. Every way is timed per request, rules included;
the ratio is against a plain numpy brute force (one 1M x 64 matrix-vector product and a top-k,
no rules) measured in the same run. HNSW is built on a smaller corpus (its build on 1M vectors
takes minutes on two cores).

    .venv/bin/python benchmarks/retrieval.py            # ~1-2 minutes on 2 cores
    .venv/bin/python benchmarks/retrieval.py --jobs 200000 --requests 50   # quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# the repository first: this script's own name would otherwise shadow the retrieval package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from linksage.config import IndexParams  # noqa: E402
from retrieval import Group, JobIndex, JobRules, Request, compare_ways  # noqa: E402
from retrieval.ways import WAYS, brute_force  # noqa: E402

DAY_NS = 86_400 * 10**9
METROS = np.array([f"metro{i}" for i in range(300)], dtype=object)
TERMS = np.array([f"t{i}" for i in range(3000)], dtype=object)


def corpus(n: int, dim: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """Unit vectors around random cluster centres."""
    x = centres[rng.integers(len(centres), size=n)] + 0.6 * rng.standard_normal(
        (n, dim), np.float32
    )
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def zipf_choice(rng: np.random.Generator, n_values: int, size, s: float = 1.1) -> np.ndarray:
    p = 1.0 / np.arange(1, n_values + 1) ** s
    return rng.choice(n_values, size=size, p=p / p.sum())


def job_attributes(n: int, rng: np.random.Generator) -> dict:
    """Rule attributes for n jobs (see the module docstring), as JobRules takes them."""
    location = METROS[zipf_choice(rng, 300, n)]
    location[rng.random(n) < 0.08] = "remote"
    posted = rng.integers(0, 120 * DAY_NS, size=n)
    terms = TERMS[zipf_choice(rng, 3000, (n, 8), s=1.0)]
    return {
        "posted_ns": posted,
        "expires_ns": posted + rng.integers(14 * DAY_NS, 28 * DAY_NS, size=n),
        "seniority": rng.integers(0, 7, size=n),
        "location": location.tolist(),
        "terms": [frozenset(t) for t in terms.tolist()],
    }


def requests(m: int, rng: np.random.Generator) -> list[Request]:
    metros = METROS[zipf_choice(rng, 300, m)]
    terms = TERMS[zipf_choice(rng, 3000, (m, 8), s=1.0)]
    return [
        Request(
            at_ns=int(rng.integers(90 * DAY_NS, 100 * DAY_NS)),
            seniority=int(rng.integers(0, 7)),
            location=metros[i],
            terms=frozenset(terms[i].tolist()),
        )
        for i in range(m)
    ]


def numpy_baseline(vectors: np.ndarray, queries: np.ndarray, k: int) -> list[float]:
    """Per-request ms of a plain brute force: all scores, then the top k (no rules)."""
    out = []
    for q in queries:
        start = time.perf_counter()
        scores = vectors @ q
        top = np.argpartition(-scores, k - 1)[:k]
        top[np.argsort(-scores[top])]
        out.append((time.perf_counter() - start) * 1e3)
    return out


def run(index: JobIndex, rules: JobRules, reqs, queries, *, k: int, overfetch: int) -> dict:
    """compare_ways with the exact filtered top-k of each request as its 'applied' jobs."""
    truth = [brute_force(index, rules, r, q, k).rows for r, q in zip(reqs, queries, strict=True)]
    group = Group(index, rules, reqs, queries, truth)
    return compare_ways([group], k=k, overfetch=overfetch)


def sweep(index: JobIndex, rules: JobRules, reqs, queries, *, k: int) -> None:
    """HNSW one pass vs filter-then-brute-force as the filter loosens (fewer rules)."""
    every_term = frozenset(TERMS.tolist())
    filters = {
        "every rule": rules.rows,
        "no term rule": lambda r: rules.rows(Request(r.at_ns, r.seniority, r.location, every_term)),
        "live only": lambda r: rules.live_rows(r.at_ns),
    }
    print(f"\nHNSW one pass vs filter-then-brute-force as the filter loosens ({index.n:,} jobs)")
    print(f"{'filter':<14} {'passing':>8} {'graph walks':>11} {'one-pass recall':>15} "
          f"{'one-pass p50':>12} {'brute p50':>10}")  # fmt: skip
    for name, rows_of in filters.items():
        ms = {"one": [], "brute": []}
        recall, passing, walks = [], [], 0
        for r, q in zip(reqs, queries, strict=True):
            start = time.perf_counter()
            rows = rows_of(r)
            got = index.search(q, k, rows)[0]
            ms["one"].append((time.perf_counter() - start) * 1e3)
            start = time.perf_counter()
            exact = index.brute_force(q, k, rows_of(r))[0]
            ms["brute"].append((time.perf_counter() - start) * 1e3)
            recall.append(np.isin(exact, got).mean() if len(exact) else 1.0)
            passing.append(len(rows) / index.n)
            walks += len(rows) >= index.params.exact_below
        print(f"{name:<14} {np.median(passing):>8.2%} {walks:>11d} {np.mean(recall):>15.4f} "
              f"{np.median(ms['one']):>9.2f} ms {np.median(ms['brute']):>7.2f} ms")  # fmt: skip


def show(title: str, result: dict, baseline_p50: float, k: int) -> None:
    print(f"\n{title}")
    print(f"{'way':<12} {'recall@' + str(k):>10} {'violations':>10} {'returned':>9} "
          f"{'short':>6} {'p50 ms':>8} {'p99 ms':>8} {'p50 / numpy':>12}")  # fmt: skip
    for w in WAYS:
        r = result[w]
        print(
            f"{w:<12} {r[f'recall@{k}']:>10.4f} {r['violations']:>10d} {r['candidates']:>9.1f} "
            f"{r['short']:>6d} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
            f"{r['p50_ms'] / baseline_p50:>11.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--hnsw-jobs", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--overfetch", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((1024, args.dim)).astype(np.float32)
    t0 = time.perf_counter()
    vectors = corpus(args.jobs, args.dim, rng, centres)
    attributes = job_attributes(args.jobs, rng)
    rules = JobRules(**attributes)
    reqs = requests(args.requests, rng)
    queries = corpus(args.requests, args.dim, rng, centres)
    passing = np.array([len(rules.rows(r)) for r in reqs])
    print(f"{args.jobs:,} jobs x {args.dim} dims, {args.requests} requests, top-{args.k}, "
          f"{args.threads} threads; corpus and rules built in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    start = time.perf_counter()
    for r in reqs:
        rules.rows(r)
    rule_ms = (time.perf_counter() - start) / len(reqs) * 1e3
    print(
        f"the rules' passing rows (the one-pass selector): {rule_ms:.2f} ms per request on average"
    )
    print(f"rows passing the rules per request: median {np.median(passing):,.0f} "
          f"({np.median(passing) / args.jobs:.3%}), min {passing.min():,}, max {passing.max():,}")  # fmt: skip
    baseline = numpy_baseline(vectors, queries, args.k)
    base_p50 = float(np.percentile(baseline, 50))
    print(f"numpy brute force, no rules (baseline): p50 {base_p50:.2f} ms, "
          f"p99 {np.percentile(baseline, 99):.2f} ms")  # fmt: skip
    flat = JobIndex(vectors, IndexParams(kind="flat"))
    show(f"faiss IndexFlatIP, {args.jobs:,} jobs", run(flat, rules, reqs, queries, k=args.k,
         overfetch=args.overfetch), base_p50, args.k)  # fmt: skip

    n = min(args.hnsw_jobs, args.jobs)
    t0 = time.perf_counter()
    hnsw = JobIndex(vectors[:n], IndexParams(kind="hnsw"))
    build = time.perf_counter() - t0
    small = JobRules(**{name: values[:n] for name, values in attributes.items()})
    small_base = float(np.percentile(numpy_baseline(vectors[:n], queries, args.k), 50))
    p = hnsw.params
    show(f"faiss IndexHNSWFlat (M={p.hnsw_m}, efConstruction={p.hnsw_ef_construction}, "
         f"efSearch={p.hnsw_ef_search}, exact_below={p.exact_below}), {n:,} jobs, built in "
         f"{build:.1f} s; ratio vs numpy on {n:,} jobs ({small_base:.2f} ms)",
         run(hnsw, small, reqs, queries, k=args.k, overfetch=args.overfetch), small_base, args.k)  # fmt: skip
    sweep(hnsw, small, reqs, queries, k=args.k)
    # the same graph with the exact fallback off: every one-pass search walks the graph
    hnsw.params = p.model_copy(update={"exact_below": 0})
    show("the same HNSW index, exact_below=0 (one pass always walks the graph through the filter)",
         run(hnsw, small, reqs, queries, k=args.k, overfetch=args.overfetch), small_base, args.k)  # fmt: skip


if __name__ == "__main__":
    main()
