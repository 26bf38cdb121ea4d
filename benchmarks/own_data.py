"""`linksage run` on data shaped like a real interaction log, with its stage table.

About 10^5 engagements over seven months: a synthetic marketplace cut to members, jobs,
engagements and job_skills, written as exports arrive (request_id all null, ms timestamps,
int32 ids; see tests/support/real_export.py). The pipeline runs in a child process, so the peak
RSS in its stage table is the pipeline's own. The issue's budget is 3 GiB.

    .venv/bin/python benchmarks/own_data.py [--members 24000] [--days 210] [--out /tmp/own_data]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_GIB = 3.0


def write_data(members: int, days: int, out: Path) -> int:
    """The cut-down marketplace under out/data; returns its engagement count."""
    from linksage.synthetic.marketplace import generate_marketplace
    from tests.support.real_export import write_real_export

    tables = generate_marketplace(
        members=members, seed=7, start=datetime(2026, 1, 1, tzinfo=UTC), days=days
    )
    write_real_export(tables, out / "data", also=("job_skills",))
    return len(tables.engagements)


def write_config(out: Path) -> Path:
    """GNN on the first four months, rankers on the next two (a week of validation), test last."""
    config = {
        "name": "own_data",
        "output_dir": str(out / "run"),
        "data": {"source": "directory", "directory": str(out / "data")},
        "windows": {
            "t_gnn_end": "2026-05-01T00:00:00Z",
            "t_train_start": "2026-05-01T00:00:00Z",
            "t_train_end": "2026-07-01T00:00:00Z",
            "t_test_start": "2026-07-01T00:00:00Z",
            "t_test_end": "2026-07-29T00:00:00Z",
            "validation_days": 7,
        },
        "gnn": {"epochs": 2},
        "feast": {"repo_dir": str(out / "feature_repo")},
        # one setting per ranker: the search trains the same frames again, which costs time on
        # 2 cores but no memory; this benchmark is about memory and the stages' rows
        "rankers": {"epochs": 2, "tuning": "off"},
        "evaluation": {"seeds": [0]},
    }
    path = out / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=24_000)
    parser.add_argument("--days", type=int, default=210)
    parser.add_argument("--out", type=Path, default=Path("/tmp/own_data"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    engagements = write_data(args.members, args.days, args.out)
    config = write_config(args.out)
    print(f"{engagements:,} engagements; running linksage run --config {config}")
    started = time.perf_counter()
    # the CLI of this checkout (not whichever tree the virtualenv's entry point was installed from)
    cli = [sys.executable, "-c", "from linksage.cli.app import main; main()"]
    done = subprocess.run([*cli, "run", "--config", str(config)], cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    stages = json.loads((args.out / "run" / "stages.json").read_text())
    peak = max(row["peak_rss_bytes"] for row in stages) / 2**30
    print(
        f"exit {done.returncode}; {seconds:.0f} s; peak RSS {peak:.2f} GiB "
        f"(budget {BUDGET_GIB} GiB: {'within' if peak <= BUDGET_GIB else 'OVER'})"
    )
    for row in stages:
        print(
            f"  {row['stage']:<20} {row['seconds']:8.1f} s  "
            f"{row['peak_rss_bytes'] / 2**30:5.2f} GiB  in {row['rows_in']}  out {row['rows_out']}"
        )


if __name__ == "__main__":
    main()
