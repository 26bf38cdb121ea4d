"""`linksage run --config configs/export.yaml`: data shaped like a real interaction log, with the
data's shape and the run's stage table.

configs/export.yaml generates its tables as exports arrive (`data.synthetic.export: true`,
linksage/synthetic/export.py): members, jobs, engagements and job_skills only, `request_id` all
null, no impressions, ms timestamps, int32 ids, about 10^5 engagements over seven months. This
script writes them the way the pipeline's data stage does, prints how engagement concentrates on
jobs and the share of the test window's requests from members new in it, then runs the pipeline
in a child process, so the peak RSS in its stage table is the pipeline's own. The budget is
3 GiB and 10 minutes.

    .venv/bin/python benchmarks/own_data.py [--config configs/export.yaml] [--out DIR]
        [--members N] [--days N] [--data-only]

`--out DIR` puts the run (its data included) and the feature repo under DIR (and the config it
ran as in DIR/config.yaml); without it the config's own paths are used.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from linksage.config import ExperimentConfig, load_config  # noqa: E402
from linksage.data.tables import Tables  # noqa: E402

BUDGET_GIB = 3.0
DEFAULT_CONFIG = ROOT / "configs" / "export.yaml"


def effective_config(
    path: Path, out: Path | None, members: int | None, days: int | None
) -> tuple[ExperimentConfig, Path]:
    """The config with the command line's overrides, and a path the pipeline can load it from."""
    overrides: dict = {}
    if members is not None:
        overrides["data.synthetic.members"] = members
    if days is not None:
        overrides["data.synthetic.days"] = days
    if out is not None:
        overrides |= {"output_dir": str(out / "run"), "feast.repo_dir": str(out / "feature_repo")}
    cfg = load_config(path, overrides)
    if cfg.data.source != "synthetic" or not cfg.data.synthetic.export:
        sys.exit(f"{path}: expected data.source synthetic with data.synthetic.export true")
    if not overrides:
        return cfg, path
    written = (out or cfg.output_dir) / "config.yaml"
    written.parent.mkdir(parents=True, exist_ok=True)
    cfg.save(written)
    return cfg, written


def write_data(cfg: ExperimentConfig) -> Tables:
    """The config's export, written where the pipeline's data stage writes it (afresh: a
    directory left by another run would be read as it is); returns the tables as read."""
    import shutil

    from linksage.data.datasource import load_tables

    shutil.rmtree(cfg.data_dir, ignore_errors=True)
    return load_tables(cfg.data, cfg.data_dir)


def data_shape(tables: Tables, cfg: ExperimentConfig) -> dict:
    """Engagement concentration per job (all, applies) and the test window's new-member share."""
    from linksage.data.log_shape import engagement_concentration, new_member_share

    e = tables.engagements
    w = cfg.windows
    return {
        "engagements": len(e),
        "all": engagement_concentration(e),
        "apply": engagement_concentration(e, "apply"),
        "new_member_share": new_member_share(e, w.t_test_start, w.t_test_end),
    }


def print_shape(shape: dict) -> None:
    """One line per measure, beside what a public job log shows."""
    print(f"{shape['engagements']:,} engagements")
    for key, real in (("all", "0.63, 43%"), ("apply", "0.66, 47%")):
        c = shape[key]
        print(
            f"  {key:<5} per job: Gini {c['gini']:.3f}, top 10% of jobs {c['top10_share']:.1%} "
            f"({c['jobs']:,} jobs; a public log: {real})"
        )
    print(
        f"  test requests from members with no engagement before the test window: "
        f"{shape['new_member_share']:.1%} (a public log: 90%)"
    )


def run_pipeline(config: Path, cfg: ExperimentConfig) -> None:
    """`linksage run` in a child process, then its stage table."""
    print(f"running linksage run --config {config}")
    started = time.perf_counter()
    # the CLI of this checkout (not whichever tree the virtualenv's entry point was installed from)
    cli = [sys.executable, "-c", "from linksage.cli.app import main; main()"]
    done = subprocess.run([*cli, "run", "--config", str(config)], cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    stages = json.loads((cfg.output_dir / "stages.json").read_text())
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--members", type=int, default=None, help="override data.synthetic")
    parser.add_argument("--days", type=int, default=None, help="override data.synthetic")
    parser.add_argument("--data-only", action="store_true", help="write the data, do not run")
    args = parser.parse_args()
    config_path, out = args.config.resolve(), args.out and args.out.resolve()
    # the config's relative paths are the repository's, for this process and the pipeline's
    os.chdir(ROOT)
    cfg, config = effective_config(config_path, out, args.members, args.days)
    tables = write_data(cfg)
    print(
        f"wrote {', '.join(sorted(p.stem for p in cfg.data_dir.glob('*.parquet')))} to {cfg.data_dir}"
    )
    print_shape(data_shape(tables, cfg))
    del tables  # the pipeline reads the directory; the parent need not hold the tables
    if not args.data_only:
        run_pipeline(config, cfg)


if __name__ == "__main__":
    main()
