"""The ranking service under load: `linksage serve` against a real Redis online store on loopback,
an open-loop asyncio (aiohttp) load generator at fixed rates, and the Feast-per-request path (the
old `rankers.serving` sketch) as the baseline in the same run.

Builds a tiny-style synthetic experiment (`--members`; ~0.19 jobs per member) with a real Feast
repo (profile features, random GNN embeddings of the documented schema: speed does not depend on
their values), trains the task's gnn-arm ranker for one epoch, materializes the last snapshot into
a throwaway redis-server, starts `linksage serve` as its own process, then prints per rate: sent,
answered 200, throughput, p50/p99/p99.9 (latency from each request's *scheduled* send time, so a
stalled service cannot hide queueing: no coordinated omission), the highest rate with p99 <= 50 ms,
and the baseline's p50/p99 with the ratio. Every request: one member, `--candidates` job ids
(drawn with replacement when the corpus has fewer jobs). Bounded: each rate runs `--seconds`;
everything it starts is stopped on the way out.

    .venv/bin/python benchmarks/serving.py [--members 4000] [--task jymbii] [--rates 10,25,50,100]
        [--seconds 8] [--candidates 500] [--baseline-requests 60] [--refresh-s 5] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def build_experiment(root: Path, members: int, task: str):
    """A tiny-style config under `root` (more members), its data and Feast repo, and the task's
    gnn-arm ranker trained for one epoch; returns (config, tables)."""
    from linksage.cli.rankers import train_ranker_from_config
    from linksage.config import parse_config
    from linksage.data.datasource import ensure_data
    from linksage.data.tables import read_tables
    from tests.support.config import tiny_config_dict
    from tests.support.random_repo import random_feast_repo

    cfg = parse_config(tiny_config_dict(root, members=members))
    tables = read_tables(ensure_data(cfg.data, cfg.data_dir), validate=False)
    random_feast_repo(
        cfg.feast.repo_dir, tables, cfg.snapshot_times(), dim=cfg.gnn.embedding_dim,
        top_k=cfg.gnn.top_skills, ttl_days=cfg.feast.ttl_days, model_version="random-bench",
    )  # fmt: skip
    train_ranker_from_config(cfg, task, "gnn", 0, tables=tables, progress=False)
    return cfg, tables


def percentiles(ms: np.ndarray) -> str:
    if not len(ms):
        return "no answers"
    p50, p99, p999 = np.percentile(ms, [50, 99, 99.9])
    return f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  p99.9 {p999:6.1f} ms"


def requests_for(tables, task: str, n: int, candidates: int, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    members = tables.members["member_id"].to_numpy()
    jobs = tables.jobs["job_id"].to_numpy()
    replace = len(jobs) < candidates
    return [
        json.dumps(
            {
                "member_id": int(rng.choice(members)),
                "task": task,
                "candidates": rng.choice(jobs, candidates, replace=replace).tolist(),
            }
        ).encode()  # fmt: skip
        for _ in range(n)
    ]


async def open_loop(url: str, bodies: list[bytes], rate: float, seconds: float) -> dict:
    """Send at `rate`/s for `seconds` (request i at t0 + i/rate, whatever the answers do)."""
    import aiohttp

    n = int(rate * seconds)
    latencies, statuses = [], {}
    connector = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(i: int, due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:
                async with session.post(url, data=bodies[i % len(bodies)]) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as err:
                status = type(err).__name__
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                latencies.append((time.perf_counter() - due) * 1000)

        t0 = time.perf_counter() + 0.2
        await asyncio.gather(*(one(i, t0 + i / rate) for i in range(n)))
        elapsed = time.perf_counter() - t0
    return {"sent": n, "statuses": statuses, "ms": np.array(latencies), "elapsed": elapsed}


@contextmanager
def service_process(config_path: Path, port: int):
    """`linksage serve` in its own process, ready (/readyz 200) on loopback `port`."""
    code = "from linksage.cli.app import main; main()"
    args = [sys.executable, "-c", code, "serve", "--config", str(config_path), "--port", str(port)]
    proc = subprocess.Popen(args, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("linksage serve did not become ready")
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def baseline(cfg, tables, task: str, connection: str, bodies: list[bytes], n: int) -> np.ndarray:
    """The Feast-per-request sketch (`RankerService.score`: 1 + 500 rows read from Redis per
    request, then ONNX), in this process, one request at a time: latencies in ms."""
    from linksage.feature_store import embedding_files
    from rankers.data.windows import SplitWindows
    from rankers.features.history import HistoryFeatures
    from rankers.serving import RankerService

    history = HistoryFeatures(
        tables, SplitWindows.from_section(cfg.windows),
        job_embeddings=embedding_files(cfg.feast.repo_dir)["job"], job_vector="job_gnn__embedding",
    )  # fmt: skip
    run = cfg.output_dir / "rankers" / task / "gnn" / "seed0"
    service = RankerService(
        run, cfg.feast.repo_dir, online_store="redis", redis_connection_string=connection,
        history=history,
    )  # fmt: skip
    out = []
    for i in range(n + 3):
        body = json.loads(bodies[i % len(bodies)])
        started = time.perf_counter()
        service.score(body["member_id"], body["candidates"])
        if i >= 3:  # the first calls warm Feast's registry cache and the history similarity
            out.append((time.perf_counter() - started) * 1000)
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=4000)
    parser.add_argument("--task", default="jymbii", choices=["jymbii", "search", "taj", "ebr"])
    parser.add_argument("--rates", default="10,25,50,100")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--baseline-requests", type=int, default=60)
    parser.add_argument("--workers", type=int, default=1, help="serving.workers of the service")
    parser.add_argument(
        "--refresh-s", type=float, default=5.0, help="serving.refresh_interval_s of the service"
    )
    args = parser.parse_args()
    from linksage.feature_store import bulk_materialize
    from tests.support.local_redis import free_port, local_redis_server

    with tempfile.TemporaryDirectory() as tmp, local_redis_server(tmp) as (host, redis_port):
        started = time.perf_counter()
        cfg, tables = build_experiment(Path(tmp), args.members, args.task)
        connection = f"{host}:{redis_port}"
        last = cfg.snapshot_times()[-1]
        bulk_materialize(
            cfg.feast.repo_dir, start=last - timedelta(hours=1), end=last,
            online_store="redis", redis_connection_string=connection,
        )  # fmt: skip
        raw = cfg.model_dump(mode="json")
        raw["feast"] |= {"online_store": "redis", "redis_connection_string": connection}
        refresh = {"refresh_interval_s": args.refresh_s}
        raw["serving"] = {
            "tasks": [args.task],
            **refresh,
            "max_staleness_s": max(60, args.refresh_s),
        }
        config_path = Path(tmp) / "serve.yaml"
        config_path.write_text(json.dumps(raw))  # JSON is YAML
        print(
            f"experiment: {len(tables.members)} members, {len(tables.jobs)} jobs, task "
            f"{args.task} (gnn arm), Redis on {connection}; set up in "
            f"{time.perf_counter() - started:.0f} s; {args.candidates} candidates per request; "
            f"job table refreshed every {args.refresh_s:g} s; {args.workers} worker process(es)"
        )
        bodies = requests_for(tables, args.task, 2000, args.candidates)
        port = free_port()
        url = f"http://127.0.0.1:{port}/rank"
        results = {}
        with service_process(config_path, port):
            asyncio.run(open_loop(url, bodies, 20, 2))  # warm up
            for rate in [float(r) for r in args.rates.split(",")]:
                r = asyncio.run(open_loop(url, bodies, rate, args.seconds))
                results[rate] = r
                ok = r["statuses"].get(200, 0)
                print(
                    f"service  {rate:6.0f} req/s offered: {ok / r['elapsed']:6.1f} req/s answered "
                    f"200 ({ok}/{r['sent']}; other: {_others(r['statuses'])})  "
                    f"{percentiles(r['ms'])}"
                )
        good = [
            rate for rate, r in results.items()
            if r["statuses"].get(200, 0) == r["sent"] and np.percentile(r["ms"], 99) <= 50
        ]  # fmt: skip
        print(f"highest rate with p99 <= 50 ms (all answered): {max(good) if good else 'none'}")
        base = baseline(cfg, tables, args.task, connection, bodies, args.baseline_requests)
        print(f"baseline (Feast per request, in process, one at a time): {percentiles(base)}")
        low = results[min(results)]["ms"]
        if len(low) and len(base):
            ratio = np.percentile(base, [50, 99]) / np.percentile(low, [50, 99])
            print(
                f"baseline / service at {min(results):.0f} req/s: p50 x{ratio[0]:.1f}, "
                f"p99 x{ratio[1]:.1f}"
            )


def _others(statuses: dict) -> str:
    rest = {k: v for k, v in statuses.items() if k != 200}
    return ", ".join(f"{k}: {v}" for k, v in rest.items()) or "none"


if __name__ == "__main__":
    main()
