"""Nearline throughput and event-to-store latency with real parts, on loopback only.

A redis-server on a free loopback port holds the event stream, the shared worker state and
Feast's Redis online store; the workers run the ONNX ego encoders (demo shape: hidden 64,
embedding 64, neighbour cap 50, random frozen weights) under onnxruntime and write through
Feast's push API. The load generator publishes engagement and recruiter events at an offered
rate: the test window's own events as templates (so the mix of graph-changing and
graph-neutral actions is the data's), each re-aimed at a random existing member and job, so the
stream never runs out. Each event is stamped with the time it was due (a late generator counts
against latency).

Prints, for the old one-event-at-a-time path (one worker, `max_batch` 1) and the micro-batched
path (`max_batch` 256, 1..N worker processes in one consumer group), at increasing offered
rates (each `--seconds` long; a configuration stops at the first rate it cannot sustain):
sustained events/s and p50/p99/p99.9 latency from the event's time to its embeddings written
to the online store; the highest rate with p99 <= 100 ms and the highest sustained rate of each
path, with their ratio; a profile of one micro-batched worker on a backlog (where a batch's time
goes); and both paths' capacity on a backlog. Stops by itself
(~3 min on a loaded 2-core machine). Run: `.venv/bin/python benchmarks/nearline.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import multiprocessing as mp
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STREAM = "events"
BASELINE = ("one event at a time", 1, 1)  # (label, max_batch, workers)


def prepare(root: Path, members: int, cap: int, seed: int) -> dict:
    """Synthetic data, a frozen random checkpoint + ONNX encoders and their id maps file."""
    import pandas as pd

    from gnn_encoder.checkpoint import model_version
    from gnn_encoder.id_maps import build_id_maps
    from linksage.data.tables import write_tables
    from linksage.synthetic.marketplace import generate_marketplace
    from tests.support.random_checkpoint import export_ego_encoders, save_random_checkpoint

    start = pd.Timestamp("2026-01-01", tz="UTC")
    tables = generate_marketplace(members=members, seed=seed, start=start, days=42)
    write_tables(tables, root / "data")
    t_gnn_end, t_test_start = start + pd.Timedelta(days=28), start + pd.Timedelta(days=35)
    id_maps = build_id_maps(tables, before=t_gnn_end)
    gnn = root / "gnn"
    encoder = save_random_checkpoint(
        gnn / "checkpoint.pt",
        id_maps,
        neighbour_cap=cap,
        t_gnn_end=t_gnn_end,
        hidden_dim=64,
        embedding_dim=64,
    )
    version = model_version(gnn / "checkpoint.pt")
    export_ego_encoders(encoder, id_maps, gnn, cap, model_version=version)
    return {
        "root": str(root),
        "t_test_start": t_test_start.isoformat(),
        "t_end": (start + pd.Timedelta(days=42)).isoformat(),
    }


def event_lines(tables, paths: dict, n: int, seed: int) -> list[str]:
    """`n` events: the window's engagements and recruiter actions as templates, each re-aimed
    at a random member and job that exist at the start, at increasing times."""
    import numpy as np
    import pandas as pd

    from nearline.events import Engagement, RecruiterAction, event_to_json
    from nearline.replay import events_from_tables

    start = pd.Timestamp(paths["t_test_start"])
    window = events_from_tables(tables, start=start, end=pd.Timestamp(paths["t_end"]))
    templates = [e for e in window if isinstance(e, Engagement | RecruiterAction)]
    members = tables.members.loc[pd.to_datetime(tables.members["created_at"]) < start]
    jobs = tables.jobs.loc[pd.to_datetime(tables.jobs["posted_at"]) < start]
    rng = np.random.default_rng(seed)
    m = rng.choice(members["member_id"].to_numpy(), n)
    j = rng.choice(jobs["job_id"].to_numpy(), n)
    return [
        event_to_json(
            dataclasses.replace(
                templates[i % len(templates)],
                member_id=int(m[i]),
                job_id=int(j[i]),
                at=(start + pd.Timedelta(milliseconds=i)).to_pydatetime(),
            )
        )
        for i in range(n)
    ]


# ---- worker processes -------------------------------------------------------------------------

_CTL: dict = {}


class _Stop(Exception):
    pass


def _report(stats) -> None:
    """on_batch of each worker: hand the new latencies and counts to the driver via Redis."""
    import redis

    ctl = _CTL.setdefault("client", redis.Redis(port=_CTL["port"]))
    new = stats.latencies_s[_CTL.get("sent", 0) :]
    pipe = ctl.pipeline(transaction=False)
    if new:
        pipe.rpush("bench:lat", *new)
    pipe.incrby("bench:processed", stats.events - _CTL.get("events", 0))
    pipe.sadd("bench:ready", _CTL["consumer"])
    pipe.get("bench:stop")
    stop = pipe.execute()[-1]
    _CTL["sent"], _CTL["events"] = len(stats.latencies_s), stats.events
    if stop:
        raise _Stop


def _worker_entry(paths: dict, port: int, consumer: str, max_batch: int, workers: int) -> None:
    import pandas as pd

    from nearline.service import run_nearline

    _CTL["port"], _CTL["consumer"] = port, consumer
    with contextlib.suppress(_Stop):
        run_nearline(
            source_uri=f"redis://127.0.0.1:{port}/{STREAM}",
            tables=None,
            gnn_dir=Path(paths["root"]) / "gnn",
            repo_dir=Path(paths["root"]) / "repo",
            state_path=Path(paths["root"]) / "unused.sqlite",
            start_time=pd.Timestamp(paths["t_test_start"]),
            online_store="redis",
            redis_connection_string=f"127.0.0.1:{port}",
            max_batch=max_batch,
            consumer=consumer,
            on_batch=_report,
            shared=workers > 1,
        )


def start_workers(paths, port, label: str, max_batch: int, workers: int) -> list:
    from nearline.pool import consumer_names

    ctx = mp.get_context("spawn")
    tag = label.replace(" ", "")[:12]
    procs = [
        ctx.Process(target=_worker_entry, args=(paths, port, name, max_batch, workers))
        for name in consumer_names(f"bench-{tag}-{workers}", workers)
    ]
    for p in procs:
        p.start()
    return procs


def stop_workers(client, procs, publish) -> None:
    client.set("bench:stop", 1)
    for _ in procs:  # wake each worker blocked in XREADGROUP (a repeated event changes little)
        publish(1.0, 1)
    for p in procs:
        p.join(timeout=60)
        if p.is_alive():
            p.terminate()
    client.delete("bench:stop")


# ---- load generator and measurement -------------------------------------------------------------


class Driver:
    """Publishes the prepared lines at offered rates and reads back what the workers report."""

    def __init__(self, client, lines: list[str]):
        self.client, self.lines, self.cursor = client, lines, 0

    def publish(self, rate: float, n: int) -> float:
        """Publish `n` events at `rate`/s in pipelined ticks; each is stamped with the time
        it was due. Returns the first one's due time (wall clock)."""
        n = min(n, len(self.lines) - self.cursor)
        t0, i = time.time(), 0
        while i < n:
            due = min(n, int((time.time() - t0) * rate) + 1)
            if due == i:
                time.sleep(0.0005)
                continue
            pipe = self.client.pipeline(transaction=False)
            for k in range(i, due):
                line = self.lines[self.cursor + k]
                pipe.xadd(STREAM, {"event": line, "published_at": repr(t0 + k / rate)})
            pipe.execute()
            i = due
        self.cursor += n
        return t0

    def processed(self) -> int:
        return int(self.client.get("bench:processed") or 0)

    def step(self, rate: float, seconds: float) -> dict:
        """One offered rate: events/s sustained (published -> all written) and latencies."""
        import numpy as np

        self.client.delete("bench:lat")
        before, n = self.processed(), int(rate * seconds)
        t0 = self.publish(rate, n)
        deadline = time.time() + 4 * seconds + 10  # bounded: a saturated worker gives up here
        while self.processed() < before + n and time.time() < deadline:
            time.sleep(0.005)
        done = self.processed() - before
        elapsed = time.time() - t0
        lat = np.asarray(self.client.lrange("bench:lat", 0, -1), float) * 1000
        pct = {
            q: float(np.percentile(lat, q)) if len(lat) else float("nan") for q in (50, 99, 99.9)
        }
        return {"offered": rate, "events": done, "sent": n, "rate": done / elapsed, **pct}

    def warm_up(self, procs: list, timeout: float = 300) -> None:
        """Trickle events until every worker has handled a batch (started up: sessions loaded,
        Feast's registry read), then wait until every published event was handled."""
        deadline = time.time() + timeout
        self.client.delete("bench:ready")
        while self.client.scard("bench:ready") < len(procs):
            if any(p.exitcode is not None for p in procs):
                raise SystemExit(f"a worker exited: {[p.exitcode for p in procs]}")
            if time.time() > deadline:
                raise SystemExit(f"{len(procs)} workers did not start within {timeout:.0f}s")
            self.publish(100, 2)
            time.sleep(0.2)
        while self.processed() < self.cursor and time.time() < deadline:
            time.sleep(0.01)


def run_config(driver, paths, port, label, max_batch, workers, rates, seconds) -> list[dict]:
    """Start the workers, warm them up, run the rates (stop at the first not sustained)."""
    procs = start_workers(paths, port, label, max_batch, workers)
    try:
        driver.warm_up(procs)
        rows = []
        for rate in rates:
            row = driver.step(rate, seconds)
            rows.append(row)
            ok = row["events"] == row["sent"] and row[99] <= 100
            kept_up = row["events"] == row["sent"] and row["rate"] >= 0.9 * rate
            print(
                f"  {label:>20} x{workers} max_batch {max_batch:>3}  offered {rate:>6.0f}/s  "
                f"sustained {row['rate']:>6.0f}/s  p50 {row[50]:6.1f}  p99 {row[99]:7.1f}  "
                f"p99.9 {row[99.9]:7.1f} ms{'' if ok else '  (p99 > 100 ms)'}"
                f"{'' if kept_up else '  (saturated)'}  load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if not kept_up:
                break
        return rows
    finally:
        stop_workers(driver.client, procs, driver.publish)


def best_rate(rows: list[dict]) -> tuple[float, float]:
    """(highest offered rate met with p99 <= 100 ms, highest rate sustained at all); 0 if none."""
    met = [r for r in rows if r["events"] == r["sent"] and r["rate"] >= 0.9 * r["offered"]]
    return (
        max((r["offered"] for r in met if r[99] <= 100), default=0.0),
        max((r["rate"] for r in met), default=0.0),
    )


# ---- profile -------------------------------------------------------------------------------------

EMBED_PARTS = [  # (label, file suffix, function): where `embed` goes, from cProfile
    ("ego inputs (numpy, Redis reads)", "nearline/encoders.py", "inputs"),
    ("ONNX (onnxruntime run)", "onnxruntime_inference_collection.py", "run"),
]


def profile_backlog(driver, paths, port, n: int, max_batch: int, show: bool = True) -> float:
    """One worker in this process on a backlog of `n` events, under cProfile; returns its
    events/s while busy (its capacity), and prints where the time goes (`show`)."""
    import pandas as pd

    from nearline.service import run_nearline

    driver.publish(1e9, n)  # all at once: a backlog
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    stats = run_nearline(
        source_uri=f"redis://127.0.0.1:{port}/{STREAM}",
        tables=None,
        gnn_dir=Path(paths["root"]) / "gnn",
        repo_dir=Path(paths["root"]) / "repo",
        state_path=Path(paths["root"]) / "unused.sqlite",
        start_time=pd.Timestamp(paths["t_test_start"]),
        online_store="redis",
        redis_connection_string=f"127.0.0.1:{port}",
        max_batch=max_batch,
        consumer=f"bench-profile-{max_batch}",
        stop_when_idle=True,
    )
    prof.disable()
    wall = time.perf_counter() - t0
    capacity = stats.events / stats.busy_s
    if not show:
        return capacity
    per_batch = stats.busy_s / max(stats.batches, 1) * 1000
    print(
        f"\none worker on a backlog of {stats.events} events (max_batch {max_batch}): "
        f"{stats.events / stats.busy_s:.0f} events/s while busy ({wall:.1f}s with start-up), "
        f"{stats.batches} batches, {per_batch:.0f} ms per batch, "
        f"{stats.embeddings / max(stats.events, 1):.2f} embeddings per event"
    )
    table = pstats.Stats(prof).stats  # {(file, line, func): (cc, nc, tottime, cumtime, callers)}
    print("where a busy worker's time goes (WorkerStats.stage_s; embed split by cProfile):")
    for stage, secs in stats.stage_s.items():
        print(
            f"  {stage:<34} {secs / stats.busy_s * 100:5.1f}%  {secs / stats.events * 1e3:.3f} ms/event"
        )
        if stage == "embed":
            for label, suffix, func in EMBED_PARTS:
                cum = sum(v[3] for k, v in table.items() if k[0].endswith(suffix) and k[2] == func)
                print(f"    {label:<32} {cum / stats.busy_s * 100:5.1f}%  (profiled)")
    return capacity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--cap", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each rate step")
    parser.add_argument("--baseline-rates", type=float, nargs="+", default=[20, 50, 100, 200])
    parser.add_argument("--rates", type=float, nargs="+", default=[100, 250, 500, 1000, 2000, 5000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--max-batch", type=int, default=256)
    args = parser.parse_args()
    for name in ("members", "cap", "max_batch"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.seconds <= 0 or min(args.workers) < 1:
        parser.error("--seconds must be > 0 and --workers >= 1")

    import redis

    from linksage.data.tables import read_tables
    from linksage.feature_store import apply_repo, ensure_repo, write_settings
    from nearline.pool import bootstrap_shared_state
    from tests.support.local_redis import local_redis_server

    with tempfile.TemporaryDirectory() as tmp, local_redis_server(tmp) as (host, port):
        t0 = time.perf_counter()
        paths = prepare(Path(tmp), args.members, args.cap, seed=11)
        repo = ensure_repo(Path(tmp) / "repo")
        write_settings(repo, ttl_days=30, embedding_dim=64)
        apply_repo(repo, online_store="redis", redis_connection_string=f"{host}:{port}")
        tables = read_tables(Path(tmp) / "data", validate=False)
        bootstrap_shared_state(
            f"redis://{host}:{port}/{STREAM}",
            tables=tables,
            gnn_dir=Path(tmp) / "gnn",
            start_time=paths["t_test_start"],
        )
        steps = sum(args.baseline_rates) + sum(args.rates) * len(args.workers)
        lines = event_lines(tables, paths, int(steps * args.seconds) + 20_000, seed=5)
        print(
            f"setup {time.perf_counter() - t0:.0f}s: {args.members} members, {len(tables.jobs)} "
            f"jobs, cap {args.cap}; {os.cpu_count()} CPUs shared with redis-server, the load "
            f"generator and other users (load {os.getloadavg()[0]:.1f})"
        )
        print("\nevent time -> embeddings written to the online store (Redis, Feast push):")
        driver = Driver(redis.Redis(host=host, port=port), lines)
        label, mb, w = BASELINE
        base = best_rate(
            run_config(driver, paths, port, label, mb, w, args.baseline_rates, args.seconds)
        )
        best = {}
        for w in args.workers:
            rows = run_config(
                driver, paths, port, "micro-batched", args.max_batch, w, args.rates, args.seconds
            )
            best[w] = best_rate(rows)
        top_w = max(best, key=lambda w: best[w][1])
        print("\nhighest offered rate with p99 <= 100 ms / highest rate sustained at all:")
        print(f"  one event at a time: {base[0]:.0f} / {base[1]:.0f} events/s")
        for w, (ok, kept) in best.items():
            print(f"  micro-batched x{w}: {ok:.0f} / {kept:.0f} events/s")
        if base[1]:
            print(
                f"ratio of sustained rates, micro-batched x{top_w} / one at a time: "
                f"{best[top_w][1] / base[1]:.1f}x"
            )
        reached = max(ok for ok, _ in best.values()) >= 5000
        print(f"target 5,000 events/s at p99 <= 100 ms: {'reached' if reached else 'not reached'}")
        batched = profile_backlog(driver, paths, port, n=3000, max_batch=args.max_batch)
        single = profile_backlog(driver, paths, port, n=300, max_batch=1, show=False)
        print(
            f"capacity on a backlog (events/s while busy, one worker): micro-batched {batched:.0f}, "
            f"one event at a time {single:.0f}: {batched / single:.1f}x"
        )


if __name__ == "__main__":
    main()
