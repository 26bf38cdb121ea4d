"""`linksage train-ranker`, and the adapter from the config's rankers section to
rankers.train.train_ranker."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console

from linksage import artifacts
from linksage.config import ExperimentConfig, TuningParams, load_config
from linksage.errors import ConfigError, InsufficientDataError
from linksage.io import atomic_write_text
from linksage.tasks import TASKS

console = Console()


@dataclass(frozen=True)
class TaskPlan:
    """The tasks this run trains and evaluates, and those it skips with their reasons."""

    run: tuple[str, ...]
    skipped: dict[str, str]
    positives: dict[str, dict[str, int]]  # task -> split -> positives (tasks that were checked)


def plan_from_config(config: ExperimentConfig, tables=None) -> TaskPlan:
    """Check the config's tasks against its data (`rankers.data.task_support`); write OUT/tasks.json.

    `rankers.tasks: auto` keeps every task the data supports; a task named explicitly that the
    data cannot support is a ConfigError naming what is missing. No task at all: exit 2."""
    from linksage.data.datasource import load_tables
    from rankers.data.task_support import plan_tasks
    from rankers.data.windows import SplitWindows

    if tables is None:
        tables = load_tables(config.data, config.data_dir, validate=False)
    auto = config.rankers.tasks == "auto"
    wanted = TASKS if auto else config.rankers.tasks
    support = plan_tasks(tables, SplitWindows.from_section(config.windows), wanted)
    skipped = {t: s.reason for t, s in support.items() if not s.supported}
    if skipped and not auto:
        raise ConfigError(
            "rankers.tasks: the data cannot support "
            + "; ".join(skipped.values())
            + " (remove the task, or set rankers.tasks: auto)"
        )
    run = tuple(t for t, s in support.items() if s.supported)
    atomic_write_text(
        config.output_dir / "tasks.json",
        json.dumps({t: s.to_dict() for t, s in support.items()}, indent=1),
    )
    if not run:
        raise InsufficientDataError(
            "no ranker task can run on this data: " + "; ".join(skipped.values())
        )
    return TaskPlan(run, skipped, {t: s.positives for t, s in support.items()})


def train_ranker_from_config(
    config: ExperimentConfig, task: str, arm: str, seed: int, **overrides
) -> Path:
    """`train_ranker` with the arguments unpacked from an ExperimentConfig (saved beside it)."""
    from linksage.data.datasource import ensure_data
    from rankers.data.windows import SplitWindows
    from rankers.train import train_ranker

    kwargs = {
        "task": task,
        "arm": arm,
        "seed": seed,
        "data_dir": ensure_data(config.data, config.data_dir),
        "repo_dir": config.feast.repo_dir,
        "output_dir": config.output_dir,
        "windows": SplitWindows.from_section(config.windows),
        "params": config.rankers.params(),
        "config_yaml": config.to_yaml(),
    }
    kwargs |= overrides
    # one search per arm: the first seed's choice, unless every seed searches
    tuning, first = kwargs["params"].tuning, config.evaluation.seeds[0]
    if isinstance(tuning, TuningParams) and not tuning.each_seed and seed != first:
        out = Path(kwargs["output_dir"])
        kwargs.setdefault("reuse_from", artifacts.run_dir(out, task, arm, first))
    return train_ranker(**kwargs)


# What a ranker run's process imports (6 s on 2 cores: TensorFlow, TFRS, Feast and its server
# stack, DuckDB): loaded once by the fork server that starts each run, which runs nothing else.
_RANKER_IMPORTS = (
    "linksage.cli.rankers",
    "rankers.train",
    "rankers.training.ranking",
    "rankers.training.retrieval",
    "feast",
    "duckdb",
)


def _train_ranker_job(job: tuple) -> Path:
    config, task, arm, seed, overrides = job
    return train_ranker_from_config(config, task, arm, seed, **overrides)


def train_ranker_in_own_process(
    config: ExperimentConfig, task: str, arm: str, seed: int, **overrides
) -> Path:
    """`train_ranker_from_config` in a process of its own. TensorFlow, Keras and the allocators
    keep most of what a run used (on 10^5 engagements about 1 GiB stays after a run, through
    `clear_session` and `malloc_trim`), so runs one after another in one process pile up."""
    from linksage.cli.stage_process import run_in_own_process

    job = (config, task, arm, seed, overrides)
    name = artifacts.run_label(task, arm, seed)
    return run_in_own_process(_train_ranker_job, job, name=name, preload=_RANKER_IMPORTS).result


def train_rankers_in_parallel(
    config: ExperimentConfig, jobs: list[tuple[str, str, int, dict]]
) -> list[Path]:
    """Each job (task, arm, seed, overrides) as `train_ranker_in_own_process`, up to
    `rankers.parallel_runs` at a time (threads only wait on the processes). The runs of the
    first evaluation seed go first: a later seed trains at the first seed's tuning choice
    (`rankers.tuning.each_seed: false`), so it must find that run on disk. Returns the run
    directories in the jobs' order; the first failure is raised once every started run ended."""
    from concurrent.futures import ThreadPoolExecutor

    first = config.evaluation.seeds[0]
    waves = [[j for j in jobs if j[2] == first], [j for j in jobs if j[2] != first]]
    done: dict[tuple, Path] = {}
    with ThreadPoolExecutor(max_workers=config.rankers.parallel_runs) as pool:
        for wave in waves:
            futures = {
                (t, a, s): pool.submit(train_ranker_in_own_process, config, t, a, s, **o)
                for t, a, s, o in wave
            }
            for key, future in futures.items():
                done[key] = future.result()
    return [done[t, a, s] for t, a, s, _ in jobs]


def train_ranker_command(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    task: str = typer.Option(..., "--task", "-t", help="jymbii, search, taj or ebr."),
    arm: str = typer.Option(
        ..., "--arm", "-a", help="control or gnn: selects the feature service <task>_<arm>."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Training seed."),
) -> None:
    """Train one ranker (task x arm x seed) and write its run directory."""
    run_dir = train_ranker_from_config(load_config(config), task, arm, seed)
    console.print(f"wrote {run_dir}")


def register(app: typer.Typer) -> None:
    """Add the ranker commands to the CLI."""
    app.command("train-ranker")(train_ranker_command)
