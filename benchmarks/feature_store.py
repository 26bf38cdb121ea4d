"""Feature-store benchmark: materialize rows/s (bulk vs `feast materialize`, SQLite and Redis),
online read latency through Feast against reading the same rows from the same store directly,
historical retrieval rows/s.

    .venv/bin/python benchmarks/feature_store.py                      # 100K members x 64 dims
    .venv/bin/python benchmarks/feature_store.py --materialize-only   # the materialize comparison
    .venv/bin/python benchmarks/feature_store.py --examples 200000    # smaller historical run

Materialize: every snapshot is in the range (as in `linksage materialize`, whose range covers the
daily snapshots of the TTL), the GNN views, each way into a fresh copy of the same applied repo:
`feast materialize` as the CLI runs it (Feast's `FeatureStore.materialize`), the same with
linksage's identity dask tokens (`feast.materialize: feast`), and `bulk_materialize`
(`feast.materialize: bulk`, the default). The online stores end with the same values (tests).

Redis figures need `redis-server` on PATH (a throwaway one is started on a free loopback port).
The "direct" reads issue the same query Feast's online store issues (SQLite SELECT / Redis
pipelined HMGET on Feast's key layout) and decode the same protobuf values, without the
registry, entity-row and response handling around them, so the ratio is Feast's overhead.
The p99 of the Feast path is mostly Python's full garbage collections (a Feast read allocates
~50K objects, so collections land in its timing); `--gc-freeze` moves everything alive before the
timed reads out of the collector's view (`gc.freeze()`, as a forking server does after startup).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from linksage.feature_store import (  # noqa: E402
    apply_repo,
    bulk_materialize,
    check_embedding_files,
    copy_repo,
    historical_features,
    materialize,
    open_store,
    publish_embeddings,
)
from linksage.feature_store.profile_features import JOB_SCHEMA, MEMBER_SCHEMA  # noqa: E402
from tests.support.random_repo import random_embeddings, write_embedding_tables  # noqa: E402

T0 = datetime(2026, 3, 1, tzinfo=UTC)
GNN_VIEWS = ["member_gnn", "job_gnn"]
GNN_REFS = [f"{v}:{f}" for v in GNN_VIEWS for f in ("embedding", "model_version")]


def _random_profile(schema: pa.Schema, ids: np.ndarray, times, rng) -> pa.Table:
    n = len(ids) * len(times)
    cols = {}
    for field in schema:
        if field.name.endswith("_id"):
            cols[field.name] = np.tile(ids, len(times))
        elif field.name in ("event_timestamp", "feature_ts"):
            cols[field.name] = pd.to_datetime(np.repeat(times, len(ids)), utc=True)
        elif pa.types.is_timestamp(field.type):
            cols[field.name] = pd.to_datetime(np.full(n, T0 - timedelta(days=3)), utc=True)
        elif pa.types.is_integer(field.type):
            cols[field.name] = rng.integers(0, 50, n)
        elif pa.types.is_floating(field.type):
            cols[field.name] = rng.random(n).astype(np.float32)
        elif pa.types.is_boolean(field.type):
            cols[field.name] = rng.random(n) < 0.5
        else:
            cols[field.name] = rng.choice(["a", "b", "c|d", "e"], n)
    return pa.Table.from_pandas(pd.DataFrame(cols), schema=schema, preserve_index=False)


def build(repo: Path, *, members: int, jobs: int, dim: int, snapshots: int, seed: int = 0):
    """Write embeddings and profile parquet for `snapshots` daily snapshots; return the times."""
    rng = np.random.default_rng(seed)
    times = [T0 + timedelta(days=d) for d in range(snapshots)]
    data = repo / "data"
    for entity, n in (("member", members), ("job", jobs)):
        ids = np.arange(1, n + 1, dtype=np.int64)
        embeddings = random_embeddings(
            entity, ids, times, dim, rng=rng, model_version="bench", dtype=np.float32
        )
        write_embedding_tables(repo, {entity: embeddings})
        schema = MEMBER_SCHEMA if entity == "member" else JOB_SCHEMA
        pq.write_table(_random_profile(schema, ids, times, rng), data / f"{entity}_profile.parquet")
    return times


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.asarray(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def _feast_read(store, member: int, jobs: np.ndarray) -> dict:
    rows = {"member_id": [member] * len(jobs), "job_id": jobs.tolist()}
    return store.get_online_features(
        features=GNN_REFS, entity_rows=rows, full_feature_names=True
    ).to_dict()


def _entity_key(name: str, value: int) -> bytes:
    from feast.infra.key_encoding_utils import serialize_entity_key
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value

    key = EntityKey(join_keys=[name], entity_values=[Value(int64_val=value)])
    return serialize_entity_key(key, entity_key_serialization_version=3)


def _decode(blob: bytes):
    from feast.protos.feast.types.Value_pb2 import Value

    v = Value()
    v.ParseFromString(blob)
    return v


def _sqlite_direct(conn: sqlite3.Connection, member: int, jobs: np.ndarray) -> dict:
    out = {}
    for view, name, ids in (("member_gnn", "member_id", [member]), ("job_gnn", "job_id", jobs)):
        keys = [_entity_key(name, int(i)) for i in ids]
        cur = conn.execute(
            f"SELECT entity_key, feature_name, value FROM linksage_{view} "
            f"WHERE entity_key IN ({','.join('?' * len(keys))}) "
            "AND feature_name IN ('embedding', 'model_version')",
            keys,
        )
        rows = {(k, f): _decode(v) for k, f, v in cur.fetchall()}
        out[view] = [
            (
                np.asarray(rows[(k, "embedding")].float_list_val.val, np.float32),
                rows[(k, "model_version")].string_val,
            )
            for k in keys
        ]
    return out


def _redis_direct(client, member: int, jobs: np.ndarray) -> dict:
    from feast.infra.online_stores.helpers import _mmh3

    out = {}
    with client.pipeline(transaction=False) as pipe:
        plan = []
        for view, name, ids in (("member_gnn", "member_id", [member]), ("job_gnn", "job_id", jobs)):
            fields = [_mmh3(f"{view}:embedding"), _mmh3(f"{view}:model_version")]
            for i in ids:
                pipe.hmget(_entity_key(name, int(i)) + b"linksage", fields)
            plan.append((view, len(ids)))
        replies = iter(pipe.execute())
    for view, n in plan:
        out[view] = []
        for _ in range(n):
            emb, version = next(replies)
            out[view].append(
                (
                    np.asarray(_decode(emb).float_list_val.val, np.float32),
                    _decode(version).string_val,
                )
            )
    return out


def online_latency(
    store,
    direct,
    *,
    reads: int,
    members: int,
    jobs: int,
    batch: int,
    seed: int,
    gc_freeze: bool = False,
):
    """p50/p99 (ms) of 1 member + `batch` jobs through Feast and directly, same requests."""
    rng = np.random.default_rng(seed)
    requests = [
        (
            int(rng.integers(1, members + 1)),
            rng.choice(np.arange(1, jobs + 1), batch, replace=False),
        )
        for _ in range(reads)
    ]
    # same values both ways (checked once), then warm-up
    m, j = requests[0]
    via_feast, via_direct = _feast_read(store, m, j), direct(m, j)
    for got, (want, _) in zip(via_feast["job_gnn__embedding"], via_direct["job_gnn"], strict=True):
        np.testing.assert_array_equal(np.float32(got), want)
    timings = {"feast": [], "direct": []}
    if gc_freeze:
        gc.collect()
        gc.freeze()
    try:
        for m, j in requests:  # interleaved, so both see the same machine load
            t = time.perf_counter()
            _feast_read(store, m, j)
            timings["feast"].append(time.perf_counter() - t)
            t = time.perf_counter()
            direct(m, j)
            timings["direct"].append(time.perf_counter() - t)
    finally:
        if gc_freeze:
            gc.unfreeze()
    return {k: _percentiles(v) for k, v in timings.items()}


def compare_materialize(
    repo: Path, work: Path, times, *, plain: bool, figures: dict, entities: int, **store_kwargs
) -> Path:
    """Materialize the GNN views over every snapshot three ways (each into a fresh copy of the
    applied `repo`); record rows/s and ratios; return the bulk copy (materialized)."""
    views = GNN_VIEWS
    start, end = times[0], times[-1]
    store_label = "Redis" if store_kwargs else "SQLite"
    ways = {
        "bulk": lambda r: bulk_materialize(r, start=start, end=end, views=views, **store_kwargs),
        "feast + identity tokens": lambda r: materialize(
            r, start=start, end=end, views=views, **store_kwargs
        ),
    }
    if plain:  # Feast's API exactly as `feast materialize START END` calls it
        ways["feast materialize"] = lambda r: open_store(r, **store_kwargs).materialize(
            start_date=start, end_date=end, feature_views=views
        )
    seconds, copies = {}, {}
    for way, run in ways.items():
        copies[way] = work / f"{store_label}-{way.replace(' ', '_')}"
        shutil.copytree(repo, copies[way])
        if store_kwargs:
            _flush_redis(store_kwargs["redis_connection_string"])
        _, seconds[way] = timed(
            f"materialize {store_label}: {way}", lambda run=run, path=copies[way]: run(path)
        )
    rows = sum(pq.read_metadata(repo / "data" / f"{v}.parquet").num_rows for v in views)
    for way, t in seconds.items():
        figures[f"materialize {store_label}: {way}"] = (
            f"{entities / t:,.0f} rows/s ({entities:,} entities online from {rows:,} source rows, "
            f"{t:.1f}s)"
        )
    for way, t in seconds.items():
        if way != "bulk":
            figures[f"  bulk vs {way} ({store_label})"] = f"x{t / seconds['bulk']:.1f}"
    for way, copy in copies.items():
        if way != "bulk":
            shutil.rmtree(copy, ignore_errors=True)
    return copies["bulk"]


def _flush_redis(connection_string: str) -> None:
    import redis

    host, port = connection_string.split(":")
    redis.Redis(host=host, port=int(port)).flushall()


def timed(label: str, fn):
    print(f"... {label}", flush=True)
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--jobs", type=int, default=20_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--snapshots", type=int, default=4, help="daily snapshots (historical)")
    p.add_argument("--reads", type=int, default=200)
    p.add_argument("--batch", type=int, default=500, help="jobs per online read")
    p.add_argument("--examples", type=int, default=1_000_000)
    p.add_argument("--jobs-per-request", type=int, default=10)
    p.add_argument("--skip-redis", action="store_true")
    p.add_argument("--gc-freeze", action="store_true", help="gc.freeze() before timed reads")
    p.add_argument(
        "--materialize-only", action="store_true", help="only the SQLite materialize comparison"
    )
    p.add_argument(
        "--no-plain-feast",
        action="store_true",
        help="leave out plain `feast materialize` (the slow baseline) for large runs",
    )
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-feast-"))
    figures: dict[str, str] = {}
    try:
        repo = copy_repo(work / "repo")
        times, t_build = timed(
            "writing parquet",
            lambda: build(
                repo, members=args.members, jobs=args.jobs, dim=args.dim, snapshots=args.snapshots
            ),
        )
        checked, t_guard = timed(
            "guard", lambda: check_embedding_files(repo, embedding_dim=args.dim)
        )
        n_guard = sum(t.num_rows for t in checked.values())
        figures["guard (check embeddings)"] = f"{n_guard / t_guard:,.0f} rows/s ({n_guard:,} rows)"
        publish_embeddings(repo, checked)
        del checked
        apply_repo(repo)
        n_mat = args.members + args.jobs
        bulk_repo = compare_materialize(
            repo, work, times, plain=not args.no_plain_feast, figures=figures, entities=n_mat
        )
        if args.materialize_only:
            return _print(figures, f"{args.dim} dims, {args.snapshots} daily snapshots")
        shutil.rmtree(repo)
        repo = bulk_repo
        store = open_store(repo)
        conn = sqlite3.connect(repo / "data" / "online_store.db")
        lat = online_latency(
            store,
            lambda m, j: _sqlite_direct(conn, m, j),
            reads=args.reads,
            members=args.members,
            jobs=args.jobs,
            batch=args.batch,
            seed=1,
            gc_freeze=args.gc_freeze,
        )
        _report_latency(figures, "SQLite", lat, args.batch, args.gc_freeze)

        if not args.skip_redis and shutil.which("redis-server"):
            import redis

            from tests.support.local_redis import local_redis_server

            with local_redis_server(work) as (host, port):
                kw = {"online_store": "redis", "redis_connection_string": f"{host}:{port}"}
                apply_repo(repo, **kw)
                # plain `feast materialize` is left out on Redis: its dask hashing is the same
                compare_materialize(
                    repo, work, times, plain=False, figures=figures, entities=n_mat, **kw
                )
                client = redis.Redis(host=host, port=port)
                client.flushall()
                empty = client.info("memory")["used_memory"]
                bulk_materialize(repo, start=times[0], end=times[-1], views=GNN_VIEWS, **kw)
                used = client.info("memory")["used_memory"] - empty
                figures["Redis memory, GNN views"] = (
                    f"{used / n_mat:,.0f} bytes per entity ({args.dim} dims; {used / 2**20:,.0f} "
                    f"MiB for {n_mat:,})"
                )
                lat = online_latency(
                    open_store(repo, **kw),
                    lambda m, j: _redis_direct(client, m, j),
                    reads=args.reads,
                    members=args.members,
                    jobs=args.jobs,
                    batch=args.batch,
                    seed=1,
                    gc_freeze=args.gc_freeze,
                )
                _report_latency(figures, "Redis", lat, args.batch, args.gc_freeze)
        else:
            figures["Redis"] = "skipped (no redis-server)"

        if args.examples:
            rng = np.random.default_rng(2)
            n_req = args.examples // args.jobs_per_request
            span = (times[-1] - times[0]).total_seconds() + 86400
            at = pd.to_datetime(times[0]) + pd.to_timedelta(rng.random(n_req) * span, unit="s")
            examples = pd.DataFrame(
                {
                    "member_id": np.repeat(
                        rng.integers(1, args.members + 1, n_req), args.jobs_per_request
                    ),
                    "job_id": rng.integers(1, args.jobs + 1, n_req * args.jobs_per_request),
                    "event_timestamp": np.repeat(at.to_numpy(), args.jobs_per_request),
                }
            )
            examples["event_timestamp"] = pd.to_datetime(examples["event_timestamp"], utc=True)
            frame, t_hist = timed(
                f"historical_features jymbii_gnn, {len(examples):,} examples",
                lambda: historical_features(repo, examples, "jymbii_gnn", progress=True),
            )
            if len(frame) != len(examples):
                raise SystemExit("historical_features lost rows")
            figures["historical jymbii_gnn"] = (
                f"{len(examples) / t_hist:,.0f} rows/s ({len(examples):,} examples, "
                f"{args.jobs_per_request} jobs/request, {args.snapshots} snapshots, {t_hist:.0f}s)"
            )
        figures["parquet build (not Feast)"] = f"{t_build:.1f}s"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _print(figures, f"{args.dim} dims, {args.snapshots} daily snapshots")


def _print(figures: dict, what: str) -> None:
    print(f"\nfeature store benchmark ({what})")
    for k, v in figures.items():
        print(f"  {k:<46} {v}")


def _report_latency(figures: dict, store: str, lat: dict, batch: int, gc_freeze: bool) -> None:
    gc_note = ", gc frozen" if gc_freeze else ""
    (f50, f99), (d50, d99) = lat["feast"], lat["direct"]
    figures[f"online read {store} via Feast"] = (
        f"p50 {f50:.1f} ms, p99 {f99:.1f} ms (1 member + {batch} jobs{gc_note})"
    )
    figures[f"online read {store} direct"] = f"p50 {d50:.1f} ms, p99 {d99:.1f} ms"
    figures[f"Feast overhead {store}"] = f"x{f50 / d50:.1f} at p50, x{f99 / d99:.1f} at p99"


if __name__ == "__main__":
    main()
