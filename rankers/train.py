"""`train_ranker`: examples -> Feast training frame -> TFRS model -> a complete run directory.

Writes `OUT/rankers/<task>/<arm>/seed<S>/` (docs/artifacts.md): saved_model/, model.onnx (EBR:
member_tower.onnx, job_tower.onnx), features.json (the fitted input plan serving needs),
config.yaml, history.json, curves.png, validation_metrics.json, predictions.parquet (test window)
and examples.parquet (every split, with `<view>__feature_ts`). Everything is written into a
staging directory first and moved into place only when the run succeeded.
"""

from __future__ import annotations

import json
import shutil
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from linksage import artifacts
from linksage.config import RankerParams, TuningParams
from linksage.data.tables import Tables, read_tables
from linksage.errors import InsufficientDataError
from linksage.feature_store import feature_ts_columns, open_store
from linksage.feature_store.decoder import read_decoder
from linksage.feature_store.repo import GNN_VIEWS
from linksage.io import atomic_path, atomic_write_text, replace_dir, write_parquet
from linksage.memory import release_freed_memory
from linksage.tasks import TASKS
from rankers.data.examples import build_examples, downsample_negatives
from rankers.data.frames import (
    ChunkedFrame,
    corpus_frame,
    feature_service_name,
    training_frame,
)
from rankers.data.windows import SPLITS, SplitWindows
from rankers.features.history import HistoryFeatures, history_for
from rankers.features.plan import FeaturePlan
from rankers.features.schema import model_specs
from rankers.training.result import RunResult

if TYPE_CHECKING:  # they import TensorFlow, which train_ranker imports only when it runs
    from rankers.data.hard_negatives import NegativePool
    from rankers.training.tuning import Setting, Tuned


class RankerDataError(InsufficientDataError):
    """A task has no usable training data in its window."""

    exit_code = 2


def train_ranker(
    *,
    task: str,
    arm: str,
    seed: int,
    data_dir: Path | str,
    repo_dir: Path | str,
    output_dir: Path | str,
    windows: SplitWindows,
    params: RankerParams = RankerParams(),
    feature_service: str | None = None,
    config_yaml: str | None = None,
    tables: Tables | None = None,
    reuse_from: Path | None = None,
    progress: bool = True,
) -> Path:
    """Train one task and arm with one seed; return its run directory.

    `arm` names the feature service `<task>_<arm>` unless `feature_service` is given (e.g. a
    nearline-fresh service). Sampled negatives use a fixed seed, so every arm and seed of a task
    sees the same examples; `seed` drives initialisation and shuffling. Every setting of the
    search (`params.tuning`, rankers/training/tuning.py) trains on the same frames; the one with the best
    validation metric writes the run directory, with the trials in validation_metrics.json.
    `reuse_from`: a finished run directory of the same task and arm (another seed) whose choice
    this run trains at, without a search (rankers.tuning.each_seed false)."""
    if task not in TASKS:
        raise RankerDataError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    service = feature_service or feature_service_name(task, arm)
    run_dir = artifacts.run_dir(output_dir, task, arm, seed)
    tables = tables if tables is not None else read_tables(data_dir, validate=False)
    examples = build_examples(
        task,
        tables,
        windows,
        negatives_per_request=params.negatives_per_request,
        candidates_per_request=params.candidates_per_request,
    )
    if task != "ebr":  # EBR's examples are its positives
        examples = downsample_negatives(examples, params.train_negative_rate)
    specs = model_specs(open_store(repo_dir), service, task)
    history = history_for(task, tables, windows, specs, repo_dir, params.history_features)
    specs += history.specs(task) if history is not None else []
    joins = artifacts.joins_dir(output_dir, task)
    frames, fitted_examples, test = _joined(
        task, examples, repo_dir, service, progress, joins, history
    )
    data_warnings = _check_trainable(task, frames["train"], windows)
    plan = FeaturePlan.fit(frames["train"], specs, decoder=_gnn_decoder(specs, repo_dir))
    corpus, pool = _retrieval_inputs(task, frames, tables, windows, params, repo_dir, service)
    desc = artifacts.run_label(task, arm, seed)
    train = _trainer(
        task, frames, test, plan, params, seed, progress, desc, corpus, tables.jobs, pool
    )
    tuned, negatives = _tuned(task, params, plan, train, pool, reuse_from)
    run_params = {
        "task": task,
        "arm": arm,
        "feature_service": service,
        "seed": seed,
        **params.model_dump(mode="json", exclude={"learning_rate", "tuning"}),
        **tuned.setting.train_kwargs(),
    }
    metrics = {
        "task": task,
        "arm": arm,
        "seed": seed,
        "feature_service": service,
        **tuned.result.validation_metrics,
        **tuned.result.timing,
        "examples": {s: int(len(f)) for s, f in frames.items()} | {"test": len(test)},
        "inputs": plan.names(),
        "warnings": data_warnings,
        "run_params": run_params,
        "tuning": tuned.record,
        **({"negatives": negatives} if negatives else {}),
    }
    config_text = config_yaml or yaml.safe_dump({"rankers": run_params}, sort_keys=False)
    _write_run_dir(run_dir, tuned.result, plan, fitted_examples, metrics, config_text, title=desc)
    return run_dir


def _joined(
    task: str,
    examples: pd.DataFrame,
    repo_dir: Path | str,
    service: str,
    progress: bool,
    cache_dir: Path | None = None,
    history: HistoryFeatures | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, ChunkedFrame | pd.DataFrame]:
    """(the split frames, the examples table of the joined rows, the test window): a ranking
    task's test window (100+ candidates per request) is a ChunkedFrame, joined and scored in
    chunks by the run's test_predictions(); EBR's test rows are its positives alone, joined
    here with the others. `history` adds the member's history columns after the join."""
    chunked = task != "ebr"
    joined = examples[examples["split"] != "test"] if chunked else examples
    frame = training_frame(
        repo_dir, joined, service, task=task, progress=progress, cache_dir=cache_dir
    )
    if history is not None:
        frame = history.add(frame)
    split = frame["split"].astype(str)
    frames = {s: frame[split == s].reset_index(drop=True) for s in SPLITS}
    fitted_examples = _examples_table(frame)
    del frame, split  # the split frames are copies: keep one
    release_freed_memory()  # the join's transient heap, before training holds its arrays
    if not chunked:
        return frames, fitted_examples, frames["test"]
    test_rows = examples[examples["split"] == "test"]
    augment = history.add if history is not None else None
    test = ChunkedFrame(repo_dir, test_rows, service, task, cache_dir=cache_dir, augment=augment)
    return frames, fitted_examples, test


def _tuned(
    task: str,
    params: RankerParams,
    plan: FeaturePlan,
    train: Callable[[Setting, str], RunResult],
    pool: NegativePool | None,
    reuse_from: Path | None,
) -> tuple[Tuned, dict | None]:
    """The chosen trial and EBR's negatives record: the search (rankers/training/tuning.py) and, for EBR,
    each negatives strategy at its setting; or, with `reuse_from`, one run at that run's choice."""
    from rankers.training.tuning import (
        SELECTION_METRIC,
        candidate_settings,
        compare_negatives,
        has_gnn_vectors,
        integration_modes,
        integration_settings,
        reused,
        reused_negatives,
        tune,
    )

    metric = SELECTION_METRIC[task]
    choice = reused(reuse_from, ebr=task == "ebr") if reuse_from is not None else None
    if choice is not None:
        tuned = tune([choice.setting], train, metric=metric, searched=False)
        tuned.record["reused_from_seed"] = choice.seed
        negatives = reused_negatives(tuned, choice.seed) if task == "ebr" else None
        return tuned, negatives
    modes = []
    if has_gnn_vectors(plan):
        modes = integration_modes(params, two_tower=task == "ebr", decoder=bool(plan.decoder))
    searched = isinstance(params.tuning, TuningParams)
    tuned = tune(candidate_settings(params, modes=modes), train, metric=metric, searched=searched)
    if searched and len(modes) > 1:  # stage 2: the integration at the chosen lr and dropout
        others = integration_settings(tuned.setting, modes)
        tuned = tune(others, train, metric=metric, searched=True, previous=tuned, stage="gnn")
    if task != "ebr":
        return tuned, None
    # EBR: each negatives strategy at the tuned setting, the best on validation kept
    return compare_negatives(tuned, train, params, pool)


def _trainer(
    task: str,
    frames: dict[str, pd.DataFrame],
    test: ChunkedFrame | pd.DataFrame,
    plan: FeaturePlan,
    params: RankerParams,
    seed: int,
    progress: bool,
    desc: str,
    corpus: pd.DataFrame | None,
    jobs: pd.DataFrame,
    pool: NegativePool | None = None,
) -> Callable[[Setting, str], RunResult]:
    """`train(setting, label)`: one trial of the task on its frames, from the same seed."""
    from rankers.training.loop import make_deterministic
    from rankers.training.ranking import train_ranking
    from rankers.training.retrieval import train_retrieval

    common = {
        "seed": seed,
        "epochs": params.epochs,
        "batch_size": params.batch_size,
        "id_embedding_dim": params.id_embedding_dim,
        "hidden_units": tuple(params.hidden_units),
        "early_stopping_patience": params.early_stopping_patience,
        "progress": progress,
    }
    if isinstance(params.tuning, TuningParams):
        common["projection_dim"] = params.tuning.projection_dim

    def train(setting: Setting, label: str) -> RunResult:
        make_deterministic(seed)  # every trial starts from the same state
        kw = {**common, **setting.train_kwargs(), "desc": f"{desc} {label}"}
        if task == "ebr":
            return train_retrieval(frames, corpus, jobs, plan, pool=pool, **kw)
        return train_ranking(
            frames, plan, test=test, task=task, cross_layers=params.cross_layers, **kw
        )

    return train


def _retrieval_inputs(
    task: str,
    frames: dict[str, pd.DataFrame],
    tables: Tables,
    windows: SplitWindows,
    params: RankerParams,
    repo_dir: Path | str,
    service: str,
) -> tuple[pd.DataFrame | None, NegativePool | None]:
    """EBR: the corpus (the live jobs of each validation and test day, with their features) and
    the extra negatives of the training positives (rankers/data/hard_negatives.py); else None, None."""
    if task != "ebr":
        return None, None
    from rankers.data.hard_negatives import negative_pool
    from rankers.training.retrieval import corpus_keys

    buckets, extra = corpus_keys(frames)
    corpus = corpus_frame(repo_dir, tables.jobs, buckets, service, extra_jobs=extra)
    pool = negative_pool(
        frames["train"],
        tables,
        windows,
        params.ebr_negatives,
        repo_dir=repo_dir,
        feature_service=service,
    )
    return corpus, pool


def _write_run_dir(
    run_dir: Path,
    result,
    plan: FeaturePlan,
    examples: pd.DataFrame,
    metrics: dict,
    config_text: str,
    *,
    title: str,
) -> None:
    """Write every file of a run into a staging directory, then move it into place: a failed
    run leaves the previous run directory (if any) untouched."""
    staging = run_dir.parent / f".{run_dir.name}.staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        metrics = {**metrics, "onnx_max_abs_diff": result.save(staging)}
        plan.save(staging / "features.json")
        atomic_write_text(staging / "config.yaml", config_text)
        atomic_write_text(staging / "history.json", json.dumps(result.history, indent=1))
        _plot_curves(result.history, staging / "curves.png", title=title)
        atomic_write_text(staging / artifacts.VALIDATION_METRICS, json.dumps(metrics, indent=1))
        predictions = result.test_predictions()
        if feature_ts_columns(predictions):  # a chunk-scored test window: its joined rows
            examples = pd.concat(
                [examples, _examples_table(predictions.assign(split="test"))], ignore_index=True
            )
        kept = [c for c in predictions if c in PREDICTION_KEEP]
        write_parquet(_prediction_table(predictions[kept]), staging / artifacts.PREDICTIONS)
        write_parquet(examples, staging / artifacts.EXAMPLES)
        replace_dir(staging, run_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _gnn_decoder(specs: list, repo_dir: Path | str):
    """The GNN's link decoder when the specs hold the GNN's own vectors, or the placebo's (the
    same vectors on other ids, scored the same way); never another arm's (mf, oracle), whose
    vectors it was not trained on."""
    views = (*GNN_VIEWS, "member_placebo", "job_placebo")
    gnn_vectors = any(s.kind == "vector" and s.name.startswith(views) for s in specs)
    return read_decoder(repo_dir) if gnn_vectors else None


def _check_trainable(task: str, train: pd.DataFrame, windows: SplitWindows) -> list[str]:
    """Refuse an empty training split; warn (and return the warning) on one label only."""
    start, end = windows.bounds()["train"]
    where = f"in the train window [{start.isoformat()}, {end.isoformat()})"
    if train.empty:
        raise RankerDataError(f"{task}: no training examples {where}")
    if task != "ebr" and train["label"].nunique() < 2:
        message = f"{task}: every training label {where} is {train['label'].iloc[0]}"
        warnings.warn(message, stacklevel=3)
        return [message]
    return []


# predictions.parquet's columns, those a task has (docs/artifacts.md)
PREDICTION_KEEP = ("request_id", "member_id", "job_id", "at", "label", "click", "score", "rank")


def _prediction_table(pred: pd.DataFrame) -> pd.DataFrame:
    out = pred.reset_index(drop=True).copy()
    out["at"] = pd.to_datetime(out["at"], utc=True).astype("datetime64[us, UTC]")
    types = {
        "request_id": "int64",
        "member_id": "int64",
        "job_id": "int64",
        "label": "int8",
        "score": "float32",
        "click": "int8",
        "rank": "int64",
    }
    return out.astype({k: v for k, v in types.items() if k in out})


def _examples_table(frame: pd.DataFrame) -> pd.DataFrame:
    keep = ["split", "request_id", "member_id", "job_id", "at", "label"]
    keep += [c for c in ("click", "query") if c in frame] + feature_ts_columns(frame)
    out = frame[keep].copy()
    out["split"] = out["split"].astype(str)
    return _prediction_table(out)


def _plot_curves(history: dict, path: Path, *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [m for m in ("loss", "auc") if m in history]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, m in zip(axes[0], metrics, strict=True):
        epochs = range(1, len(history[m]) + 1)
        ax.plot(epochs, history[m], marker="o", label=f"train {m}")
        if f"val_{m}" in history:
            ax.plot(epochs, history[f"val_{m}"], marker="o", label=f"validation {m}")
        ax.set_xlabel("epoch")
        ax.set_title(m)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
