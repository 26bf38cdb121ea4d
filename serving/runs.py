"""A trained run (task, arm, seed) ready to score online: its feature plan, ONNX sessions, the
feature service's member and job feature references, and the member's history where it takes it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from linksage import artifacts
from linksage.errors import LinksageError
from rankers.features.history import HistoryFeatures, history_specs
from rankers.features.plan import FeaturePlan
from rankers.features.request import query_words, words
from rankers.features.schema import QUERY_WORDS
from rankers.onnx_runtime import onnx_predict, onnx_session

TASKS = ("jymbii", "search", "taj", "ebr")


class ServingSetupError(LinksageError):
    """The service cannot start: no trained run, or a run it cannot serve as configured."""

    exit_code = 2


@dataclass
class ServedRun:
    """One task's run: `score(frame)` for a frame of the feature service's columns plus the
    request features; `job_inputs(frame)` the job-side model inputs (computed per table load)."""

    task: str
    run_dir: Path
    feature_service: str
    plan: FeaturePlan
    sessions: dict[str, object]
    history: HistoryFeatures | None = None
    needs_history: bool = field(init=False)

    def __post_init__(self) -> None:
        names = {s.name for s in history_specs(self.task, gnn=True)}
        self.needs_history = bool(names & set(self.plan.names()))

    def job_names(self) -> list[str]:
        """Model inputs that depend on the job alone (precomputed once per table load)."""
        return [n for n in self.plan.names("job") if not n.startswith("history__")]

    def member_names(self) -> list[str]:
        """Model inputs that depend on the member and the request alone (one row, repeated)."""
        return [n for n in self.plan.names("member") if not n.startswith("history__")]

    def job_inputs(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """Job-side inputs of every row of a job table frame; for EBR, the job tower's vectors
        too (`"__tower__"`): its score is a dot product with the member tower's output."""
        arrays = _feedable(self.plan.arrays(frame, self.job_names()))
        if self.task == "ebr":
            tower = self.sessions["job_tower"]
            names = [i.name for i in tower.get_inputs()]
            arrays["__tower__"] = onnx_predict(tower, {n: arrays[n] for n in names})
        return arrays

    def member_inputs(self, row: dict) -> dict[str, np.ndarray]:
        """The member's inputs from its row (the member's online features, member_id and the
        request's query); for EBR, the member tower's vector (`"__tower__"`)."""
        row = dict(row)
        if QUERY_WORDS in self.plan.names():
            row[QUERY_WORDS] = query_words(words(row.get("query")))
        arrays = _feedable(self.plan.row_arrays(row, self.member_names()))
        if self.task == "ebr":
            tower = self.sessions["member_tower"]
            names = [i.name for i in tower.get_inputs()]
            return {"__tower__": onnx_predict(tower, {n: arrays[n] for n in names})[0]}
        return arrays

    def score(
        self, member: dict[str, np.ndarray], rows: pd.DataFrame, job_arrays: dict[str, np.ndarray]
    ) -> np.ndarray:
        """Scores of a request's candidates: `member` (`member_inputs`), `rows` (one per
        candidate: the pair and history columns) and `job_arrays` (the candidates' rows of
        `job_inputs`, in the same order)."""
        if self.task == "ebr":
            return (job_arrays["__tower__"] @ member["__tower__"]).astype(np.float32)
        job, own = set(self.job_names()), set(self.member_names())
        arrays = {n: np.repeat(a, len(rows), axis=0) for n, a in member.items()}
        arrays.update(self.plan.arrays(rows, [n for n in self.plan.names() if n not in job | own]))
        arrays.update({n: job_arrays[n] for n in job})
        return onnx_predict(self.sessions["model"], arrays).ravel()


def _feedable(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Strings as numpy str arrays, as onnxruntime takes them (converted once, not per request)."""
    return {k: v.astype(str) if v.dtype == object else v for k, v in arrays.items()}


def load_run(run_dir: Path, history: HistoryFeatures | None) -> ServedRun:
    """A run directory's plan and ONNX sessions; a ServingSetupError when it takes the member's
    history and `history` is None (or lacks the GNN job vectors the run needs)."""
    meta = json.loads((run_dir / "validation_metrics.json").read_text())
    plan = FeaturePlan.load(run_dir / "features.json")
    files = ["member_tower", "job_tower"] if meta["task"] == "ebr" else ["model"]
    # one thread per session: the service scores one request at a time (measured in
    # docs/serving.md: the default pool's spinning threads doubled p50 on the 2-core machine)
    sessions = {name: onnx_session(run_dir / f"{name}.onnx", threads=1) for name in files}
    run = ServedRun(meta["task"], run_dir, meta["feature_service"], plan, sessions)
    if run.needs_history:
        gnn = any(s.gnn and s.name.startswith("history__") for s in plan.specs)
        if history is None or (gnn and history.history_vectors is None):
            raise ServingSetupError(
                f"{run_dir}: this run takes the member's history; set serving.history: true "
                "(the engagement log is loaded at start)"
            )
        run.history = history
    return run


def trained_tasks(output_dir: Path, arm: str, seed: int) -> list[str]:
    """Tasks with an exported run of `arm` and `seed` under `output_dir`."""
    found = []
    for task in TASKS:
        run_dir = artifacts.run_dir(output_dir, task, arm, seed)
        if (run_dir / "features.json").is_file() and any(run_dir.glob("*.onnx")):
            found.append(task)
    return found
