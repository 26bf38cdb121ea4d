"""Synthetic marketplace generation: rows/s and peak memory for 100K and 1M members.

Each size runs in its own process (generate + write every parquet table), so its peak RSS is its
own. The baseline is the smallest size measured in the same run: the script prints each size's
throughput relative to it (1.0 = scales linearly) and the peak memory beside the 8 GiB budget.

    .venv/bin/python benchmarks/generate.py [--sizes 100000,1000000] [--days 84] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

BUDGET_GIB = 8.0


def measure(members: int, days: int, seed: int) -> dict:
    """Generate and write one marketplace in this process; return its figures."""
    from linksage.data.tables import write_tables
    from linksage.synthetic.marketplace import generate_marketplace

    t0 = time.perf_counter()
    tables = generate_marketplace(
        members=members, seed=seed, start=datetime(2026, 1, 1, tzinfo=UTC), days=days
    )
    t1 = time.perf_counter()
    rows = {name: len(df) for name, df in tables.items()}
    with tempfile.TemporaryDirectory() as out:
        write_tables(tables, out)
    t2 = time.perf_counter()
    return {
        "members": members,
        "rows": sum(rows.values()),
        "rows_by_table": rows,
        "generate_s": t1 - t0,
        "write_s": t2 - t1,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--days", type=int, default=84)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.days, args.seed)))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--child", str(size), "--days", str(args.days)]
        cmd += ["--seed", str(args.seed)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    base = None
    print(
        f"{'members':>10} {'rows':>12} {'gen s':>8} {'write s':>8} {'rows/s':>12} "
        f"{'vs base':>8} {'peak GiB':>9} {'of budget':>9}"
    )
    for r in results:
        rate = r["rows"] / (r["generate_s"] + r["write_s"])
        base = base or rate
        print(
            f"{r['members']:>10,} {r['rows']:>12,} {r['generate_s']:>8.1f} {r['write_s']:>8.1f} "
            f"{rate:>12,.0f} {rate / base:>8.2f} {r['peak_rss_gib']:>9.2f} "
            f"{r['peak_rss_gib'] / BUDGET_GIB:>9.0%}"
        )
    for r in results:
        print(f"rows by table at {r['members']:,} members: {r['rows_by_table']}")


if __name__ == "__main__":
    main()
