"""Nearline latency and throughput with real parts: redis-server on loopback (event stream, worker
state and Feast's Redis online store), the ONNX ego encoders under onnxruntime, Feast's push API.

Prints:
- end-to-end latency, publish (XADD) -> embedding written to the online store (store.push
  returned), p50/p99 at 200 events/s;
- p99 at increasing rates (each step `--seconds` long, stopping at the first rate >= 200 whose
  p99 passes 100 ms), and the highest sustained rate before p99 passes 100 ms;
- the cost per updated embedding against recomputing the whole daily snapshot (and the ratio).

The encoder has the demo's shape (hidden 64, embedding 64, neighbour cap 50) with random frozen
weights: latency does not depend on training. Run: `.venv/bin/python benchmarks/nearline.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def prepare(root: Path, members: int, cap: int, seed: int) -> dict:
    """Synthetic data, a frozen random checkpoint + ONNX encoders; returns the paths/times."""
    import pandas as pd

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
    export_ego_encoders(encoder, id_maps, gnn, cap)
    return {
        "root": str(root),
        "t_test_start": t_test_start.isoformat(),
        "t_end": (start + pd.Timedelta(days=42)).isoformat(),
    }


def _percentiles(values_ms) -> tuple[float, float]:
    import numpy as np

    return float(np.percentile(values_ms, 50)), float(np.percentile(values_ms, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--cap", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each rate step")
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[50, 100, 200, 300, 400, 600, 800, 1600, 3200]
    )
    parser.add_argument("--refresh", default="touched", choices=["touched", "ego"])
    parser.add_argument(
        "--sink",
        default="push",
        choices=["push", "write_to_online_store"],
        help="Feast API used to write the online store",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="the previous worker: cap-padded ONNX inputs and synchronous store.push",
    )
    args = parser.parse_args()

    import numpy as np
    import pandas as pd
    import redis

    from linksage.data.tables import read_tables
    from linksage.feature_store import apply_repo, ensure_repo, open_store, write_settings
    from nearline.events import event_to_json
    from nearline.replay import events_from_tables
    from nearline.sources import publish_redis
    from tests.support.local_redis import local_redis_server

    with tempfile.TemporaryDirectory() as tmp, local_redis_server(tmp) as (host, port):
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = prepare(root, args.members, args.cap, seed=11)
        repo = ensure_repo(root / "repo")
        write_settings(repo, ttl_days=30, embedding_dim=64)
        conn = f"{host}:{port}"
        apply_repo(repo, online_store="redis", redis_connection_string=conn)
        tables = read_tables(root / "data", validate=False)
        events = events_from_tables(
            tables, start=pd.Timestamp(paths["t_test_start"]), end=pd.Timestamp(paths["t_end"])
        )
        lines = [event_to_json(e) for e in events]
        print(
            f"setup {time.perf_counter() - t0:.0f}s: {args.members} members, "
            f"{len(tables.jobs)} jobs, {len(lines)} test-window events, cap {args.cap}, "
            f"refresh={args.refresh}, sink={args.sink}"
            f"{', BASELINE (padded inputs, sync push)' if args.baseline else ''}"
        )

        client = redis.Redis(host=host, port=port, decode_responses=True)
        ctx = mp.get_context("spawn")
        stats_path = root / "stats.json"
        proc = ctx.Process(
            target=_worker_entry,
            args=(paths, port, args.refresh, args.sink, str(stats_path), args.baseline),
        )
        proc.start()
        cursor = 0

        def publish_step(rate: float, n: int) -> tuple[int, int]:
            nonlocal cursor
            n = min(n, len(lines) - cursor)  # never replay an event twice (it would change nothing)
            chunk = lines[cursor : cursor + n]
            first = cursor
            publish_at_rate_lines(chunk, lambda s: publish_redis(client, "events", s), rate)
            cursor += n
            while int(client.get("bench:processed") or 0) < cursor:
                if not proc.is_alive():
                    raise SystemExit("worker died")
                time.sleep(0.05)
            return first, cursor

        def step_latencies(lo: int, hi: int) -> np.ndarray:
            return np.asarray(client.lrange("bench:lat", lo, hi - 1), float) * 1000

        publish_step(20, 40)  # warm up: bootstrap, sessions, caches
        print(f"load average before the rate steps (2 shared cores): {_load()}")
        print("\nend-to-end latency, publish -> readable in the Feast online store (Redis):")
        best = None
        for rate in args.rates:
            if cursor >= len(lines):
                print(f"  (no events left for {rate:.0f} events/s; use more --members)")
                break
            lo, hi = publish_step(rate, int(rate * args.seconds))
            p50, p99 = _percentiles(step_latencies(lo, hi))
            ok = p99 <= 100
            if ok and (best is None or rate > best):
                best = rate
            print(
                f"  {rate:>6.0f} events/s ({hi - lo} events): p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
                f"{'' if ok else '   (p99 > 100 ms)'}   load {_load()}",
                flush=True,
            )
            if not ok and rate >= 200:
                break
        client.set("bench:stop", 1)
        publish_redis(client, "events", lines[0])
        proc.join(timeout=120)
        stats = json.loads(stats_path.read_text())
        print(
            f"highest sustained rate with p99 <= 100 ms: {best:.0f} events/s"
            if best
            else "no tested rate kept p99 <= 100 ms"
        )

        store = open_store(repo, online_store="redis", redis_connection_string=conn)
        job_ids = sorted({e.job_id for e in events if hasattr(e, "job_id")})[:20]
        got = store.get_online_features(
            features=["job_gnn:embedding"], entity_rows=[{"job_id": j} for j in job_ids]
        ).to_dict()
        readable = sum(v is not None for v in got["embedding"])
        print(
            f"online store check: {readable}/{len(job_ids)} jobs named by events readable "
            "(the others' events changed no neighbour list)"
        )

        per_embedding_ms = stats["busy_s"] / max(stats["embeddings"], 1) * 1000
        daily_s, n_nodes = _daily_recompute(
            root, tables, pd.Timestamp(paths["t_test_start"]), args.cap
        )
        day_events = len(events) / 7
        per_day_nearline_s = (
            per_embedding_ms / 1000 * stats["embeddings"] / max(stats["events"], 1) * day_events
        )
        print("\ncost per updated embedding:")
        print(
            f"  nearline worker: {per_embedding_ms:.2f} ms per embedding "
            f"({stats['embeddings']} embeddings for {stats['events']} events, busy "
            f"{stats['busy_s']:.1f}s)"
        )
        print(
            f"  daily snapshot recompute: {daily_s:.2f} s for {n_nodes} nodes = "
            f"{daily_s / n_nodes * 1000:.3f} ms per embedding"
        )
        print(
            f"  ratio nearline/batch per embedding: {per_embedding_ms / (daily_s / n_nodes * 1000):.1f}x;"
            f" one day of events nearline ({day_events:.0f} events) ~ {per_day_nearline_s:.1f}s "
            f"vs one full recompute {daily_s:.1f}s"
        )


def _load() -> str:
    import os

    return "/".join(f"{x:.1f}" for x in os.getloadavg()) + " (1/5/15 min)"


def publish_at_rate_lines(lines, publish, rate) -> None:
    """Publish pre-serialised lines at `rate` per second (paced against the clock)."""
    t0 = time.perf_counter()
    for i, line in enumerate(lines):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        publish(line)


def _worker_entry(paths, port, refresh, sink, out, baseline) -> None:
    import pandas as pd
    import redis
    import torch

    torch.set_num_threads(1)
    from linksage.data.tables import read_tables
    from nearline.service import run_nearline

    root = Path(paths["root"])
    tables = read_tables(root / "data", validate=False)
    ctl = redis.Redis(port=port)
    last = {}

    class Stop(Exception):
        pass

    def on_batch(stats) -> None:
        last["stats"] = stats
        new = stats.latencies_s[last.get("sent", 0) :]
        if new:
            ctl.rpush("bench:lat", *new)
        last["sent"] = len(stats.latencies_s)
        ctl.set("bench:processed", stats.events)
        if ctl.get("bench:stop"):
            raise Stop

    with contextlib.suppress(Stop):
        run_nearline(
            source_uri=f"redis://127.0.0.1:{port}/events",
            tables=tables,
            gnn_dir=root / "gnn",
            repo_dir=root / "repo",
            state_path=root / "unused.sqlite",
            start_time=pd.Timestamp(paths["t_test_start"]),
            online_store="redis",
            redis_connection_string=f"127.0.0.1:{port}",
            refresh=refresh,
            max_batch=64,
            sink_method=sink,
            on_batch=on_batch,
            trim_inputs=not baseline,
            async_push=not baseline,
        )
    s = last["stats"]
    Path(out).write_text(
        json.dumps(
            {
                "latencies_s": s.latencies_s,
                "busy_s": s.busy_s,
                "embeddings": s.embeddings,
                "events": s.events,
            }
        )
    )


def _daily_recompute(root: Path, tables, time_at, cap: int) -> tuple[float, int]:
    """Seconds to rebuild the snapshot graph and embed every member and job (`linksage embed`)."""
    import torch

    from gnn_encoder.checkpoint import load_checkpoint
    from gnn_encoder.graph import build_graph
    from gnn_encoder.inference import embed_graph

    torch.set_num_threads(1)
    ckpt = load_checkpoint(root / "gnn" / "checkpoint.pt")
    t0 = time.perf_counter()
    graph = build_graph(tables, time=time_at, id_maps=ckpt.id_maps, top_skills=5)
    emb = embed_graph(ckpt.encoder, graph, cap=cap)
    return time.perf_counter() - t0, len(emb["member"]) + len(emb["job"])


if __name__ == "__main__":
    main()
