"""Reading the rankers' test-window predictions of a run (docs/artifacts.md is the contract).

`OUT/rankers/<task>/<arm>/seed<S>/predictions.parquet` holds request_id, member_id, job_id, at,
label, score (search adds click; EBR adds rank). An `Arm` is one arm's predictions for every task
and seed found; comparisons take two of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from linksage import artifacts
from linksage.errors import DataValidationError, LinksageError
from linksage.tasks import TASKS

REQUIRED_COLUMNS = ("request_id", "member_id", "job_id", "at", "label", "score")
EXTRA_COLUMNS = {"search": ("click",), "ebr": ("rank",)}


class MissingRunError(LinksageError):
    """A run directory lacks the predictions a comparison needs."""

    exit_code = 2


@dataclass
class Arm:
    """One arm of one run: predictions per task and seed, and where they came from."""

    name: str
    predictions: dict[str, dict[int, pd.DataFrame]] = field(default_factory=dict)
    source: str = ""
    # positives in each task's ranker training split (None: the run's examples are absent)
    training_positives: dict[str, int | None] = field(default_factory=dict)
    # task -> {split: share of its positives whose job the training split never shows}
    cold_positive_share: dict[str, dict[str, float] | None] = field(default_factory=dict)
    # task -> seed -> the setting the run chose on the validation slice (`tuning_choice`)
    tuning: dict[str, dict[int, dict]] = field(default_factory=dict)
    # EBR -> seed -> each negatives strategy's validation metric and the chosen one
    negatives: dict[str, dict[int, dict]] = field(default_factory=dict)

    def seeds(self, task: str) -> list[int]:
        """Seeds available for a task, sorted."""
        return sorted(self.predictions.get(task, {}))


def predictions_path(run_dir: Path, task: str, arm: str, seed: int) -> Path:
    """Where a ranker run's test predictions live."""
    return artifacts.run_dir(run_dir, task, arm, seed) / artifacts.PREDICTIONS


def read_predictions(path: Path, task: str) -> pd.DataFrame:
    """Read one predictions file, refusing it (naming the file and column) if it breaks the
    contract."""
    path = Path(path)
    if not path.is_file():
        raise MissingRunError(f"{path}: predictions not found")
    names = set(pq.read_schema(path).names)
    for col in REQUIRED_COLUMNS + EXTRA_COLUMNS.get(task, ()):
        if col not in names:
            raise DataValidationError(f"{path}: column '{col}' is missing (docs/artifacts.md)")
    df = pq.read_table(path).to_pandas()
    for col in ("label", "score"):
        if df[col].isna().any():
            bad = df.loc[df[col].isna()].head(3).to_dict("records")
            raise DataValidationError(f"{path}: column '{col}' has nulls, e.g. {bad}")
    df["at"] = pd.to_datetime(df["at"], utc=True)
    return df


def training_positives(run_dir: Path, task: str, arm: str, seed: int) -> int | None:
    """Positive examples in the train split of one ranker run (its examples.parquet, which
    every ranker run writes; EBR examples are positives only); None when the file is absent."""
    path = artifacts.run_dir(run_dir, task, arm, seed) / artifacts.EXAMPLES
    if not path.is_file():
        return None
    ex = pq.read_table(path, columns=["split", "label"]).to_pandas()
    return int((ex.loc[ex["split"] == "train", "label"] > 0).sum())


def cold_positive_share(run_dir: Path, task: str, arm: str, seed: int) -> dict | None:
    """For the validation and test splits of one ranker run, the share of positives whose job has
    no row in the train split (a job the ranker never saw in training); None when the examples
    are absent. Where the two differ much, the validation slice cannot show what the test window
    rewards (a job id's embedding, say, learnt on warm jobs)."""
    path = artifacts.run_dir(run_dir, task, arm, seed) / artifacts.EXAMPLES
    if not path.is_file():
        return None
    ex = pq.read_table(path, columns=["split", "job_id", "label"]).to_pandas()
    seen = set(ex.loc[ex["split"] == "train", "job_id"])
    out = {}
    for split in ("validation", "test"):
        jobs = ex.loc[(ex["split"] == split) & (ex["label"] > 0), "job_id"]
        out[split] = float((~jobs.isin(seen)).mean()) if len(jobs) else None
    return out


def tuning_choice(run_dir: Path, task: str, arm: str, seed: int) -> dict | None:
    """The setting one ranker run chose on its validation slice (validation_metrics.json's
    `tuning`, which rankers/training/tuning.py writes): whether it searched, how many trials, the
    validation metric and its value, learning_rate, dropout, gnn_inputs, best_epoch, and
    `reused_from_seed` when it trained at another seed's choice. None for a
    run without the record (trained before tuning existed)."""
    path = artifacts.run_dir(run_dir, task, arm, seed) / artifacts.VALIDATION_METRICS
    record = json.loads(path.read_text()).get("tuning") if path.is_file() else None
    if not record:
        return None
    chosen, metric = record["chosen"], record["metric"]
    keep = ("learning_rate", "dropout", "gnn_inputs", "best_epoch")
    return {
        "searched": record["searched"],
        "reused_from_seed": record.get("reused_from_seed"),
        "trials": len(record["trials"]),
        "metric": metric,
        "value": chosen.get(metric),
        **{k: chosen.get(k) for k in keep},
    }


def negatives_choice(run_dir: Path, task: str, arm: str, seed: int) -> dict | None:
    """EBR's negatives strategies compared on the validation slice (validation_metrics.json's
    `negatives`, which rankers/data/hard_negatives.py writes): `metric`, `validation` (strategy ->
    value), `chosen`, `skipped` (strategy -> why). None for a run without the record."""
    path = artifacts.run_dir(run_dir, task, arm, seed) / artifacts.VALIDATION_METRICS
    record = json.loads(path.read_text()).get("negatives") if path.is_file() else None
    if not record:
        return None
    return {k: record[k] for k in ("metric", "validation", "chosen", "skipped")}


def available_seeds(run_dir: Path, task: str, arm: str) -> list[int]:
    """Seeds whose predictions exist for (task, arm) under a run directory."""
    base = artifacts.arm_dir(run_dir, task, arm)
    seeds = []
    for d in base.iterdir() if base.is_dir() else []:
        seed = artifacts.run_seed(d)
        if seed is not None and (d / artifacts.PREDICTIONS).is_file():
            seeds.append(seed)
    return sorted(seeds)


def load_arm(run_dir: Path, arm: str, *, tasks=TASKS, seeds=None, name: str | None = None) -> Arm:
    """Load an arm's predictions for the given tasks (and seeds; default: every seed on disk).

    Tasks with no predictions at all are skipped; asking for a seed that is absent is an error.
    """
    out = Arm(name=name or arm, source=f"{run_dir}:{arm}")
    for task in tasks:
        wanted = list(seeds) if seeds is not None else available_seeds(run_dir, task, arm)
        if seeds is not None and not available_seeds(run_dir, task, arm):
            continue
        frames = {
            s: read_predictions(predictions_path(run_dir, task, arm, s), task) for s in wanted
        }
        if frames:
            out.predictions[task] = frames
            # both arms train on the same examples (fixed negative sampling): one seed says it
            out.training_positives[task] = training_positives(run_dir, task, arm, min(frames))
            out.cold_positive_share[task] = cold_positive_share(run_dir, task, arm, min(frames))
            choices = {s: tuning_choice(run_dir, task, arm, s) for s in frames}
            out.tuning[task] = {s: c for s, c in choices.items() if c is not None}
            negatives = {s: negatives_choice(run_dir, task, arm, s) for s in frames}
            out.negatives[task] = {s: n for s, n in negatives.items() if n is not None}
    return out
