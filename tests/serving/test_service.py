"""The ranking service over a real Redis online store, on a loopback port: it scores like the
Feast-per-request path, retrieves like `retrieval`, refuses bad requests with a 4xx naming the
field, answers 503 while Redis is away and recovers when it is back, and serves a job's fresh
embedding within the refresh interval."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from tests.support.serving import RedisProcess, call, redis_process, service_thread

REFRESH_S = 0.5
# one load of the tiny job table (75 jobs, one Feast read per 256) on a shared 2-core machine
READ_BOUND_S = 2.0


@dataclass
class Served:
    url: str
    scorer: object
    config: object
    redis: RedisProcess


@pytest.fixture(scope="module")
def redis_store(ranker_experiment, serving_runs, tmp_path_factory):
    """A redis-server holding the experiment's online features (the last snapshot)."""
    from linksage.feature_store import bulk_materialize

    cfg, _ = ranker_experiment
    with redis_process(tmp_path_factory.mktemp("redis")) as server:
        last = cfg.snapshot_times()[-1]
        bulk_materialize(
            cfg.feast.repo_dir, start=last - timedelta(hours=1), end=last,
            online_store="redis", redis_connection_string=server.connection_string,
        )  # fmt: skip
        yield server


@pytest.fixture(scope="module")
def served(ranker_experiment, redis_store):
    from linksage.config import parse_config
    from serving.app import create_app
    from serving.service import build_scorer, running

    cfg, _ = ranker_experiment
    raw = cfg.model_dump(mode="json")
    raw["feast"] |= {
        "online_store": "redis",
        "redis_connection_string": redis_store.connection_string,
    }
    raw["serving"] = {"refresh_interval_s": REFRESH_S, "max_staleness_s": 5.0}
    config = parse_config(raw)
    with running(build_scorer(config)) as scorer, service_thread(create_app(scorer)) as url:
        yield Served(url, scorer, config, redis_store)


def _reference(served, task: str, member: int, jobs: list[int], at) -> pd.Series:
    """The Feast-per-request path's scores (rankers.serving, the sketch the service replaces)."""
    from rankers.serving import RankerService

    cfg = served.config
    service = RankerService(
        cfg.output_dir / "rankers" / task / "gnn" / "seed0", cfg.feast.repo_dir,
        online_store="redis", redis_connection_string=cfg.feast.redis_connection_string,
        history=None if task == "ebr" else _history(served),
    )  # fmt: skip
    return service.score(member, jobs, None, at).set_index("job_id")["score"]


def _history(served):
    from linksage.data.tables import read_tables
    from linksage.feature_store import embedding_files
    from rankers.data.windows import SplitWindows
    from rankers.features.history import HistoryFeatures

    cfg = served.config
    tables = read_tables(cfg.data_dir, validate=False)
    return HistoryFeatures(
        tables, SplitWindows.from_section(cfg.windows),
        job_embeddings=embedding_files(cfg.feast.repo_dir)["job"], job_vector="job_gnn__embedding",
    )  # fmt: skip


def _member_and_jobs(ranker_experiment, n: int = 60) -> tuple[int, list[int]]:
    _, tables = ranker_experiment
    return int(tables.members["member_id"].iloc[3]), tables.jobs["job_id"].head(n).tolist()


@pytest.mark.parametrize("task", ["jymbii", "ebr"])
def test_scores_like_the_feast_per_request_path(served, ranker_experiment, task):
    cfg, _ = ranker_experiment
    member, jobs = _member_and_jobs(ranker_experiment)
    at = pd.Timestamp(cfg.windows.t_test_end)
    body = {"member_id": member, "task": task, "candidates": jobs, "at": at.isoformat()}
    status, out = call(f"{served.url}/rank", body)
    assert status == 200, out
    got = pd.Series({j["job_id"]: j["score"] for j in out["jobs"]})
    expected = _reference(served, task, member, jobs, at)
    assert sorted(got.index) == sorted(jobs)
    np.testing.assert_allclose(got.loc[jobs], expected.loc[jobs], atol=1e-4)
    assert [j["score"] for j in out["jobs"]] == sorted(got, reverse=True)  # best first
    assert 0 <= out["job_table_age_s"] <= 5.0 and not out["retrieved"]


def test_k_retrieves_like_retrieval_then_scores(served, ranker_experiment):
    """`k` without candidates: the live jobs passing the quality rules, top k by the GNN
    vectors, as `retrieval.retrieve_gnn` reads them from the store, then ranked."""
    from linksage.feature_store import open_store
    from linksage.timeutil import ns
    from retrieval import retrieve_gnn

    cfg, tables = ranker_experiment
    at = pd.Timestamp(cfg.windows.t_test_end) - pd.Timedelta(days=3)
    store = open_store(
        cfg.feast.repo_dir, online_store="redis",
        redis_connection_string=served.config.feast.redis_connection_string,
    )  # fmt: skip
    found = 0
    for member in tables.members["member_id"].head(40).tolist():
        expected = retrieve_gnn(store, int(member), ns(at), k=5)
        body = {"member_id": int(member), "task": "ebr", "k": 5, "at": at.isoformat()}
        status, out = call(f"{served.url}/rank", body)
        assert status == 200, out
        assert {j["job_id"] for j in out["jobs"]} == set(expected.job_ids.tolist())
        # an empty result says why (its counts are over the whole table, not the live jobs)
        assert out["retrieved"] and bool(out["notes"]) == bool(expected.reason)
        found += len(expected.job_ids) > 0
    assert found > 0  # some member had jobs passing the rules: the comparison was not all empty


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b"[1, 2]", 422, "JSON object"),
        ({"member_id": 1, "task": "jymbii"}, 422, "exactly one of candidates"),
        ({"member_id": "x", "task": "ebr", "k": 3}, 422, "member_id"),
        ({"member_id": 1, "task": "nope", "k": 3}, 422, "task: unknown task 'nope'"),
        ({"member_id": 1, "task": "ebr", "candidates": list(range(1001))}, 422, "at most 1000"),
        ({"member_id": 1, "task": "ebr", "k": 0}, 422, "k:"),
        ({"member_id": 1, "task": "ebr", "k": 3, "colour": 1}, 422, "colour: unknown field"),
        ({"member_id": 1, "task": "ebr", "candidates": [10**9]}, 422, "unknown job id"),
        ({"member_id": 10**9, "task": "ebr", "k": 3}, 404, "unknown member"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_problem(served, body, status, says):
    code, out = call(f"{served.url}/rank", body if isinstance(body, dict) else body)
    assert code == status, out
    assert says in out["error"]


def test_health_readiness_and_prometheus_metrics(served, ranker_experiment):
    member, jobs = _member_and_jobs(ranker_experiment, 5)
    for _ in range(3):
        assert (
            call(f"{served.url}/rank", {"member_id": member, "task": "ebr", "candidates": jobs})[0]
            == 200
        )
    assert call(f"{served.url}/healthz") == (200, {"status": "ok"})
    status, ready = call(f"{served.url}/readyz")
    # the tasks the service loaded: every trained gnn run of the shared experiment at start-up
    # (ebr and jymbii at least; other tests may have trained more before)
    assert status == 200 and ready["ready"] and {"ebr", "jymbii"} <= set(ready["tasks"])
    assert ready["tasks"] == sorted(served.scorer.runs)
    status, text = call(f"{served.url}/metrics")
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert float(lines['linksage_serve_requests_total{route="/rank",status="200"}']) >= 3
    assert float(lines['linksage_serve_request_seconds_count{route="/rank"}']) >= 3
    assert 'linksage_serve_request_seconds_bucket{le="0.05",route="/rank"}' in lines
    assert 0 <= float(lines["linksage_serve_job_table_age_seconds"]) <= 5.0


def test_redis_away_gives_503_and_the_service_recovers_without_restart(served, ranker_experiment):
    member, jobs = _member_and_jobs(ranker_experiment, 5)
    body = {"member_id": member, "task": "ebr", "candidates": jobs}
    assert call(f"{served.url}/rank", body)[0] == 200
    served.redis.stop()
    try:
        started = time.monotonic()
        status, out = call(f"{served.url}/rank", body)
        assert status == 503 and "online store unavailable" in out["error"]
        # fails fast (redis-py's default retries took ~10 s): a bound on a hang, not a timing
        assert time.monotonic() - started < 3.0
        deadline = time.monotonic() + 10  # the next refresh fails: not ready
        while call(f"{served.url}/readyz")[0] != 503:
            assert time.monotonic() < deadline, "readyz stayed 200 with Redis away"
            time.sleep(0.1)
    finally:
        served.redis.start()
    deadline = time.monotonic() + 10
    while (status := call(f"{served.url}/rank", body)[0]) != 200:
        assert status == 503 and time.monotonic() < deadline, status
        time.sleep(0.1)
    while call(f"{served.url}/readyz")[0] != 200:  # a refresh succeeded again
        assert time.monotonic() < deadline, "readyz did not recover"
        time.sleep(0.1)


def test_a_fresh_job_embedding_is_served_within_the_refresh_interval(served, ranker_experiment):
    """A new embedding for a job, pushed to the online store the way the nearline worker's sink
    writes it (the `job_gnn_push` push source), changes the job's served EBR score to what the
    Feast-per-request path computes from the store, within REFRESH_S + READ_BOUND_S."""
    from linksage.feature_store import open_store, push_embeddings

    cfg, _ = ranker_experiment
    member, jobs = _member_and_jobs(ranker_experiment)
    job, url = jobs[7], f"{served.url}/rank"
    body = {"member_id": member, "task": "ebr", "candidates": jobs}

    def served_score() -> float:
        status, out = call(url, body)
        assert status == 200, out
        return next(j["score"] for j in out["jobs"] if j["job_id"] == job)

    before = served_score()
    store = open_store(
        cfg.feast.repo_dir, online_store="redis",
        redis_connection_string=served.config.feast.redis_connection_string,
    )  # fmt: skip
    vector = np.random.default_rng(7).standard_normal(cfg.gnn.embedding_dim) * 5
    now = pd.Timestamp.now(tz="UTC")
    frame = pd.DataFrame(
        {"job_id": [job], "embedding": [vector.astype(np.float32).tolist()],
         "event_timestamp": [now], "model_version": ["random-test"]}
    )  # fmt: skip
    push_embeddings(store, "job", frame)
    pushed = time.monotonic()
    expected = float(_reference(served, "ebr", member, jobs, now).loc[job])
    assert abs(expected - before) > 1e-3  # the new embedding does change the score
    while abs(served_score() - expected) > 1e-4:
        assert time.monotonic() - pushed < REFRESH_S + READ_BOUND_S, "fresh embedding not served"
        time.sleep(0.05)
    assert time.monotonic() - pushed <= REFRESH_S + READ_BOUND_S


def test_the_table_refreshes_on_its_thread_with_sqlite_too(ranker_experiment, serving_runs):
    """The default online store (SQLite) read from the refresh thread as well as the loop's."""
    from linksage.config import parse_config
    from serving.api import RankRequest
    from serving.service import build_scorer, running

    cfg, _ = ranker_experiment
    raw = cfg.model_dump(mode="json")
    raw["serving"] = {"refresh_interval_s": 0.2, "max_staleness_s": 5.0, "tasks": ["ebr"]}
    member, jobs = _member_and_jobs(ranker_experiment, 5)
    with running(build_scorer(parse_config(raw))) as scorer:
        deadline = time.monotonic() + 10
        while scorer.table.loads < 3:
            assert time.monotonic() < deadline, scorer.table.last_error
            time.sleep(0.05)
        assert scorer.table.failures == 0
        out = scorer.rank(RankRequest(member_id=member, task="ebr", candidates=jobs))
        assert sorted(j["job_id"] for j in out["jobs"]) == sorted(jobs)
