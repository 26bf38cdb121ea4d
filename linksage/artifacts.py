"""Where each stage's files are: the one definition of the output directory's layout.

`out` is the config's `output_dir`, `repo` the feature repo (`feast.repo_dir`); the tables of
docs/artifacts.md say what each file holds. Stages and the CLI build these paths only here, so
the writer and every reader (evaluation, the leakage audit, `linksage run`'s records) cannot
drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

# files of a ranker run directory (rankers/<task>/<arm>/seed<S>/)
PREDICTIONS = "predictions.parquet"
EXAMPLES = "examples.parquet"
VALIDATION_METRICS = "validation_metrics.json"
# files of the GNN directory
CHECKPOINT = "checkpoint.pt"
GNN_METRICS = "metrics.json"
EMBEDDINGS_MANIFEST = "embeddings_manifest.json"
ENCODERS_ONNX = ("encoder_member.onnx", "encoder_job.onnx")
# beside the encoders: the id maps the nearline worker needs without the torch checkpoint
ENCODER_ID_MAPS = "encoder_id_maps.json"

_SEED_DIR = "seed{seed}"
_SEED_DIR_RE = re.compile(r"seed(\d+)")


def generated_data_dir(out: Path) -> Path:
    """The tables `linksage generate` writes (a `directory` data source is read where it is)."""
    return Path(out) / "data"


def gnn_dir(out: Path) -> Path:
    """The GNN's checkpoint, metrics, curves, embeddings manifest and ONNX encoders."""
    return Path(out) / "gnn"


def rankers_dir(out: Path) -> Path:
    """Every ranker run: rankers/<task>/<arm>/seed<S>/."""
    return Path(out) / "rankers"


def arm_dir(out: Path, task: str, arm: str) -> Path:
    """One arm's runs of one task, one directory per seed."""
    return rankers_dir(out) / task / arm


def run_dir(out: Path, task: str, arm: str, seed: int) -> Path:
    """One ranker run: its model, config, metrics, predictions and examples."""
    return arm_dir(out, task, arm) / _SEED_DIR.format(seed=seed)


def run_label(task: str, arm: str, seed: int) -> str:
    """A run's name in logs and progress bars: its path under rankers/."""
    return f"{task}/{arm}/{_SEED_DIR.format(seed=seed)}"


def run_seed(path: Path) -> int | None:
    """The seed of a run directory's name (seed<S>), None for any other name."""
    m = _SEED_DIR_RE.fullmatch(Path(path).name)
    return int(m.group(1)) if m else None


def run_files(out: Path, arms: tuple[str, ...], name: str) -> list[Path]:
    """Every existing `name` file of the given arms' runs, of every task and seed."""
    root = rankers_dir(out)
    pattern = _SEED_DIR.format(seed="*")
    return sorted(p for arm in arms for p in root.glob(f"*/{arm}/{pattern}/{name}"))


def joins_dir(out: Path, task: str) -> Path:
    """The point-in-time joins of a task's examples, shared by the seeds of each arm."""
    return rankers_dir(out) / task / "joins"


def evaluation_dir(out: Path) -> Path:
    """report.json, report.md and report.html."""
    return Path(out) / "evaluation"


def nearline_dir(out: Path) -> Path:
    """The nearline worker's state and the nearline ablation's files."""
    return Path(out) / "nearline"


def stage_table(out: Path) -> Path:
    """`linksage run`'s table of stages (stages.json)."""
    return Path(out) / "stages.json"


def repo_data_dir(repo: Path) -> Path:
    """The feature repo's data: the views' sources, settings, registry, decoder."""
    return Path(repo) / "data"
