"""Score a member's candidate jobs from the Feast online store with ONNX, one Feast read per
request (1 member + N job rows). The HTTP ranking service (`serving/`, docs/serving.md) computes
the same scores from a job table held in memory; this path stays as its reference in tests and the
baseline of benchmarks/serving.py.

The path a ranking service would call: read the run's feature service online for one member and
its candidates (`linksage.feature_store.online_features`), add the request features (the query and
the member-job profile overlaps, as for training: `rankers.features.request`), turn them into model
inputs with the run's saved `FeaturePlan`, run the ONNX model (EBR: both towers, score = dot
product). No TensorFlow is imported.

A run trained with the member's history (rankers/features/history.py) needs it at serving too: pass
`history` (a `HistoryFeatures` over the engagement log), and the request is scored as a test-window
row at its time; without it such a run refuses to score rather than see a history of zeros.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from linksage import artifacts
from linksage.feature_store import online_features, open_store
from rankers.features.history import HistoryFeatures, history_specs
from rankers.features.plan import FeaturePlan
from rankers.features.request import add_request_features
from rankers.onnx_runtime import onnx_predict, onnx_session


class RankerService:
    """A trained run (task, arm, seed) ready to score candidates online."""

    def __init__(
        self,
        run_dir: Path | str,
        repo_dir: Path | str,
        *,
        online_store: str = "sqlite",
        redis_connection_string: str | None = None,
        history: HistoryFeatures | None = None,
    ):
        run_dir = Path(run_dir)
        meta = json.loads((run_dir / artifacts.VALIDATION_METRICS).read_text())
        self.task, self.feature_service = meta["task"], meta["feature_service"]
        self.plan = FeaturePlan.load(run_dir / "features.json")
        self.history = history
        names = {spec.name for spec in history_specs(self.task, gnn=True)}
        self.needs_history = bool(names & set(self.plan.names()))
        self.needs_gnn_history = any(s.gnn and s.name in names for s in self.plan.specs)
        self.store = open_store(
            repo_dir, online_store=online_store, redis_connection_string=redis_connection_string
        )
        if self.task == "ebr":
            self.member_tower = onnx_session(run_dir / "member_tower.onnx")
            self.job_tower = onnx_session(run_dir / "job_tower.onnx")
        else:
            self.model = onnx_session(run_dir / "model.onnx")

    def features(
        self,
        member_id: int,
        job_ids: Sequence[int],
        query: str | None = None,
        at: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """The online feature frame for one request at `at` (default: now): one row per job,
        request features (and the member's history, where the run takes it) added."""
        frame = online_features(
            self.store, self.feature_service, member_id=member_id, job_ids=job_ids
        )
        frame["query"] = query
        frame = add_request_features(frame, self.task)
        if not self.needs_history:
            return frame
        if self.history is None or (
            self.needs_gnn_history and self.history.history_vectors is None
        ):
            raise ValueError(
                "this run's model takes the member's history (rankers/features/history.py): pass "
                "RankerService(..., history=HistoryFeatures(tables, windows"
                + (", job_embeddings=..., job_vector=...))" if self.needs_gnn_history else "))")
            )
        at = pd.Timestamp.now(tz="UTC") if at is None else pd.Timestamp(at)
        frame["member_id"], frame["job_id"] = member_id, np.asarray(job_ids, dtype=np.int64)
        return self.history.add(frame.assign(split="test", at=at))

    def score_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """ONNX scores for a feature frame (one per row)."""
        if self.task != "ebr":
            return onnx_predict(self.model, self.plan.arrays(frame)).ravel()
        member = self.member_vectors(frame.head(1))
        return (self.job_vectors(frame) @ member[0]).astype(np.float32)

    def member_vectors(self, frame: pd.DataFrame) -> np.ndarray:
        """EBR: the member tower's vector for each row of a feature frame."""
        return _tower(self.member_tower, self.plan, frame)

    def job_vectors(self, frame: pd.DataFrame) -> np.ndarray:
        """EBR: the job tower's vector for each row of a feature frame (retrieval indexes them)."""
        return _tower(self.job_tower, self.plan, frame)

    def score(
        self,
        member_id: int,
        job_ids: Sequence[int],
        query: str | None = None,
        at: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Candidates ranked best first: columns job_id, score."""
        frame = self.features(member_id, job_ids, query, at)
        out = pd.DataFrame({"job_id": np.asarray(job_ids, dtype=np.int64)})
        out["score"] = self.score_frame(frame)
        return out.sort_values(["score", "job_id"], ascending=[False, True], kind="stable")


def _tower(session, plan: FeaturePlan, frame: pd.DataFrame) -> np.ndarray:
    names = [i.name for i in session.get_inputs()]
    return onnx_predict(session, plan.arrays(frame, names))


@lru_cache(maxsize=16)
def _service(
    run_dir: str,
    repo_dir: str,
    online_store: str,
    redis: str | None,
    history: HistoryFeatures | None,
) -> RankerService:
    return RankerService(
        run_dir, repo_dir, online_store=online_store, redis_connection_string=redis, history=history
    )


def score(
    member_id: int,
    job_ids: Sequence[int],
    query: str | None = None,
    *,
    run_dir: Path | str,
    repo_dir: Path | str,
    online_store: str = "sqlite",
    redis_connection_string: str | None = None,
    history: HistoryFeatures | None = None,
    at: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Score `job_ids` for `member_id` (and `query`, at `at`) with a trained run's ONNX model,
    features read from the Feast online store (`history`: see the module docstring); returns
    job_id, score best first. The loaded service is cached per run, store and history."""
    service = _service(str(run_dir), str(repo_dir), online_store, redis_connection_string, history)
    return service.score(member_id, job_ids, query, at)
