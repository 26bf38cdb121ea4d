"""Peak memory of `embed` (one snapshot) for a 1,000,000-member marketplace.

    .venv/bin/python benchmarks/embed_memory.py [--members 1000000] [--jobs 50000]

The tables are random but shaped like the contract (each member: a title, company, 1-3
positions, 3 skills, ~3 engagements; each job: attributes and 3 skills), built directly with numpy
because the synthetic generator at this scale takes longer than the measurement. A random-weight
checkpoint is saved, then gnn_encoder.embed.embed_snapshots embeds one snapshot (graph build,
layer-wise inference with neighbour cap 50, parquet write). Prints peak RSS (ru_maxrss) after
building the tables and at the end; the budget is 16 GiB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gnn_encoder.embed import embed_snapshots  # noqa: E402
from gnn_encoder.id_maps import build_id_maps  # noqa: E402
from linksage.data.tables import Tables  # noqa: E402
from tests.support.random_checkpoint import save_random_checkpoint  # noqa: E402


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def random_tables(members: int, jobs: int, seed: int = 0) -> Tables:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01", tz="UTC")
    titles = np.array([f"title{i}" for i in range(5000)], dtype=object)
    companies = np.array([f"company{i}" for i in range(20000)], dtype=object)
    skills = np.array([f"skill{i}" for i in range(10000)], dtype=object)
    locs = np.array([f"loc{i}" for i in range(200)], dtype=object)

    def times(n, days):
        return start + pd.to_timedelta(rng.random(n) * days, unit="D")

    mid = np.arange(members, dtype=np.int64)
    jid = np.arange(jobs, dtype=np.int64) + 10**9
    m = pd.DataFrame(
        {
            "member_id": mid,
            "title": rng.choice(titles, members),
            "company": rng.choice(companies, members),
            "seniority": rng.integers(0, 7, members).astype(np.int8),
            "location": rng.choice(locs, members),
            "is_premium": rng.random(members) < 0.1,
            "seeker_intent": None,
            "created_at": times(members, 50),
        }
    )
    j = pd.DataFrame(
        {
            "job_id": jid,
            "title": rng.choice(titles, jobs),
            "company": rng.choice(companies, jobs),
            "seniority": rng.integers(0, 7, jobs).astype(np.int8),
            "location": rng.choice(locs, jobs),
            "is_promoted": rng.random(jobs) < 0.1,
            "posted_at": times(jobs, 55),
        }
    )
    j["expires_at"] = j["posted_at"] + pd.Timedelta(days=30)
    n_eng = 3 * members
    eng = pd.DataFrame(
        {
            "member_id": rng.integers(0, members, n_eng),
            "job_id": jid[rng.integers(0, jobs, n_eng)],
            "action": rng.choice(np.array(["view", "click", "save", "apply"], dtype=object), n_eng),
            "channel": "jymbii",
            "request_id": None,
            "at": times(n_eng, 56),
        }
    )
    ms = pd.DataFrame(
        {
            "member_id": np.repeat(mid, 3),
            "skill": rng.choice(skills, 3 * members),
            "score": rng.random(3 * members).astype(np.float32),
        }
    )
    js = pd.DataFrame(
        {
            "job_id": np.repeat(jid, 3),
            "skill": rng.choice(skills, 3 * jobs),
            "score": rng.random(3 * jobs).astype(np.float32),
        }
    )
    n_pos = 2 * members
    pos = pd.DataFrame(
        {
            "member_id": rng.integers(0, members, n_pos),
            "company": rng.choice(companies, n_pos),
            "title": rng.choice(titles, n_pos),
            "start_at": times(n_pos, 50),
            "end_at": None,
        }
    )
    return Tables(
        members=m, jobs=j, engagements=eng, member_skills=ms, job_skills=js, member_positions=pos
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, default=50_000)
    ap.add_argument("--dim", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    tables = random_tables(args.members, args.jobs)
    t_end = pd.Timestamp("2026-02-26", tz="UTC")
    maps = build_id_maps(tables, before=t_end)
    print(f"tables built in {time.perf_counter() - t0:.0f} s; peak RSS {peak_gib():.2f} GiB")
    with tempfile.TemporaryDirectory() as d:
        ckpt = Path(d) / "checkpoint.pt"
        save_random_checkpoint(
            ckpt,
            maps,
            neighbour_cap=50,
            t_gnn_end=t_end,
            hidden_dim=args.dim,
            embedding_dim=args.dim,
            seed=None,
        )
        t0 = time.perf_counter()
        manifest = embed_snapshots(
            tables=tables,
            checkpoint_path=ckpt,
            snapshot_times=[t_end],
            repo_data_dir=Path(d) / "repo",
            gnn_dir=Path(d),
            device="cpu",
            export_onnx=False,
            progress=False,
        )
    snap = manifest["snapshots"][0]
    print(
        f"embedded {snap['n_members']:,} members + {snap['n_jobs']:,} jobs in "
        f"{time.perf_counter() - t0:.0f} s; peak RSS {peak_gib():.2f} GiB (budget 16 GiB)"
    )


if __name__ == "__main__":
    main()
