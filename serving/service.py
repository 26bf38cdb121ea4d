"""The service from a config: open the online store, load the served runs (and the engagement log
for their history), load the job table, and run it with uvicorn (`linksage serve`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from linksage import artifacts
from linksage.config import ExperimentConfig
from linksage.feature_store import embedding_files, get_feature_service
from rankers.features.request import JOB_SKILLS, JOB_TITLE, word_sets
from retrieval.rules import JobRules
from retrieval.store import MEMBER_FEATURES, has_vector, stack_vectors
from serving.job_table import JobTable
from serving.runs import ServedRun, ServingSetupError, load_run, trained_tasks
from serving.scorer import Scorer
from serving.store import open_online_store

JOB_VECTOR = "job_gnn__embedding"


def served_runs(config: ExperimentConfig, output_dir: Path | None = None) -> dict[str, ServedRun]:
    """task -> ServedRun for the config's serving.tasks (arm, seed) under `output_dir` (default
    the config's); a ServingSetupError naming what is missing."""
    s = config.serving
    output_dir = Path(output_dir or config.output_dir)
    seed = config.evaluation.seeds[0] if s.seed is None else s.seed
    tasks = trained_tasks(output_dir, s.arm, seed) if s.tasks == "auto" else list(s.tasks)
    if not tasks:
        raise ServingSetupError(
            f"{output_dir / 'rankers'}: no trained run of arm {s.arm} seed {seed} (run "
            "`linksage train-ranker`, or point --run-dir at a run's output_dir)"
        )
    history = _history(config) if s.history else None
    runs = {}
    for task in tasks:
        run_dir = artifacts.run_dir(output_dir, task, s.arm, seed)
        if not (run_dir / "features.json").is_file():
            raise ServingSetupError(f"serving.tasks: {task}: no trained run at {run_dir}")
        runs[task] = load_run(run_dir, history)
    return runs


def _history(config: ExperimentConfig):
    """The engagement log's history features (with the GNN affinity's job vectors)."""
    from linksage.data.datasource import load_tables
    from rankers.data.windows import SplitWindows
    from rankers.features.history import HistoryFeatures

    tables = load_tables(config.data, config.data_dir, validate=False)
    jobs = embedding_files(config.feast.repo_dir)["job"]
    windows = SplitWindows.from_section(config.windows)
    if not jobs.is_file():
        return HistoryFeatures(tables, windows)
    return HistoryFeatures(tables, windows, job_embeddings=jobs, job_vector=JOB_VECTOR)


def feature_refs(store, runs: dict[str, ServedRun]) -> tuple[list[str], list[str]]:
    """(member refs, job refs) `view:feature` of the served feature services, plus what
    retrieval reads (the member's profile and GNN vector, the jobs' profile and GNN vector)."""
    member = [f"member_profile:{f}" for f in MEMBER_FEATURES] + ["member_gnn:embedding"]
    job = [c.replace("__", ":", 1) for c in JobRules.column_names()] + ["job_gnn:embedding"]
    for run in runs.values():
        for projection in get_feature_service(store, run.feature_service).feature_view_projections:
            key = store.get_feature_view(projection.name).entity_columns[0].name
            refs = [f"{projection.name_to_use()}:{f.name}" for f in projection.features]
            (member if key == "member_id" else job).extend(refs)
    return list(dict.fromkeys(member)), list(dict.fromkeys(job))


def prepare(runs: dict[str, ServedRun]):
    """The per-load derivation: each run's job-side inputs, and the retrieval corpus (the jobs
    with a GNN vector, their rules)."""

    def derive(frame: pd.DataFrame) -> dict:
        out = {task: run.job_inputs(frame) for task, run in runs.items()}
        vectors = stack_vectors(frame[JOB_VECTOR].tolist())
        keep = has_vector(vectors) if len(frame) else vectors[:0, 0].astype(bool)
        kept = frame[keep]
        rules = JobRules.from_columns(
            {c: kept[c].to_numpy(object) for c in JobRules.column_names()}
        )
        ids = kept["job_id"].to_numpy() if "job_id" in kept else None
        out["job_vectors"] = np.nan_to_num(vectors)  # zeros: no vector (the history's GNN side)
        out["job_words"] = {c: _objects(word_sets(frame[c])) for c in (JOB_TITLE, JOB_SKILLS)}
        out["retrieval"] = {"job_ids": ids, "vectors": vectors[keep], "rules": rules}
        return out

    return derive


def _objects(values: list) -> np.ndarray:
    """A list as a 1-d object array (numpy would unpack a list of sets of equal length)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def build_scorer(
    config: ExperimentConfig, output_dir: Path | None = None, *, start_refresh: bool = True
) -> Scorer:
    """A Scorer over the config's online store and runs, its job table loaded (and refreshing
    on its thread when `start_refresh`)."""
    s = config.serving
    runs = served_runs(config, output_dir)  # first: a missing run is the likelier mistake
    store = open_online_store(config)
    member_refs, job_refs = feature_refs(store, runs)
    table = JobTable(
        store, job_refs, prepare(runs),
        refresh_interval_s=s.refresh_interval_s, max_staleness_s=s.max_staleness_s,
    )  # fmt: skip
    table.load()
    if start_refresh:
        table.start()
    scorer = Scorer(
        store, runs, table, member_refs,
        max_candidates=s.max_candidates, max_k=s.max_k, index_params=config.retrieval.params(),
    )  # fmt: skip
    for run in runs.values():  # the history's similarity is fitted once, before the first request
        if run.needs_history:
            run.history.similarity_before(run.history.split_start["test"])
    return scorer


@contextmanager
def running(scorer: Scorer) -> Iterator[Scorer]:
    """Stop the scorer's refresher on the way out."""
    try:
        yield scorer
    finally:
        scorer.table.stop()


# what a worker process reads to build its own service (`app_from_environment`)
CONFIG_ENV, OUTPUT_ENV = "LINKSAGE_SERVE_CONFIG", "LINKSAGE_SERVE_OUTPUT_DIR"


def serve(config: ExperimentConfig, output_dir: Path | None = None, **listen) -> None:
    """Run the service until interrupted (`listen`: host, port overriding serving.*); with
    `serving.workers` > 1, uvicorn's worker processes each build their own from the config."""
    import uvicorn

    from serving.app import create_app

    host = listen.get("host") or config.serving.host
    port = listen.get("port") or config.serving.port
    if config.serving.workers == 1:
        with running(build_scorer(config, output_dir)) as scorer:
            uvicorn.run(create_app(scorer), host=host, port=port, log_level="warning")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        config.save(path)  # the config as resolved (overrides included), for the workers
        os.environ[CONFIG_ENV], os.environ[OUTPUT_ENV] = str(path), str(output_dir or "")
        uvicorn.run(
            "serving.service:app_from_environment", factory=True, workers=config.serving.workers,
            host=host, port=port, log_level="warning",
        )  # fmt: skip


def app_from_environment():
    """A worker's app: the service built from the config `serve` saved for the workers."""
    from linksage.config import load_config
    from serving.app import create_app

    output_dir = os.environ.get(OUTPUT_ENV) or None
    scorer = build_scorer(load_config(os.environ[CONFIG_ENV]), output_dir and Path(output_dir))
    return create_app(scorer)  # the refresher is a daemon thread: it ends with the worker
