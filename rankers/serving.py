"""Serving sketch: score a member's candidate jobs from the Feast online store with ONNX.

The path a ranking service would call: read the run's feature service online for one member and
its candidates (`linksage.feature_store.online_features`), add the request features (the query and
the member-job profile overlaps, as for training: `rankers.request_features`), turn them into model
inputs with the run's saved `FeaturePlan`, run the ONNX model (EBR: both towers, score = dot
product). No TensorFlow is imported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from linksage.feature_store import online_features, open_store
from rankers.export import onnx_predict, onnx_session
from rankers.feature_plan import FeaturePlan
from rankers.request_features import add_request_features


class RankerService:
    """A trained run (task, arm, seed) ready to score candidates online."""

    def __init__(
        self,
        run_dir: Path | str,
        repo_dir: Path | str,
        *,
        online_store: str = "sqlite",
        redis_connection_string: str | None = None,
    ):
        run_dir = Path(run_dir)
        meta = json.loads((run_dir / "validation_metrics.json").read_text())
        self.task, self.feature_service = meta["task"], meta["feature_service"]
        self.plan = FeaturePlan.load(run_dir / "features.json")
        self.store = open_store(
            repo_dir, online_store=online_store, redis_connection_string=redis_connection_string
        )
        if self.task == "ebr":
            self.member_tower = onnx_session(run_dir / "member_tower.onnx")
            self.job_tower = onnx_session(run_dir / "job_tower.onnx")
        else:
            self.model = onnx_session(run_dir / "model.onnx")

    def features(
        self, member_id: int, job_ids: Sequence[int], query: str | None = None
    ) -> pd.DataFrame:
        """The online feature frame for one request: one row per job, request features added."""
        frame = online_features(
            self.store, self.feature_service, member_id=member_id, job_ids=job_ids
        )
        frame["query"] = query
        return add_request_features(frame, self.task)

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
        self, member_id: int, job_ids: Sequence[int], query: str | None = None
    ) -> pd.DataFrame:
        """Candidates ranked best first: columns job_id, score."""
        frame = self.features(member_id, job_ids, query)
        out = pd.DataFrame({"job_id": np.asarray(job_ids, dtype=np.int64)})
        out["score"] = self.score_frame(frame)
        return out.sort_values(["score", "job_id"], ascending=[False, True], kind="stable")


def _tower(session, plan: FeaturePlan, frame: pd.DataFrame) -> np.ndarray:
    names = [i.name for i in session.get_inputs()]
    return onnx_predict(session, plan.arrays(frame, names))


@lru_cache(maxsize=16)
def _service(run_dir: str, repo_dir: str, online_store: str, redis: str | None) -> RankerService:
    return RankerService(
        run_dir, repo_dir, online_store=online_store, redis_connection_string=redis
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
) -> pd.DataFrame:
    """Score `job_ids` for `member_id` (and `query`) with a trained run's ONNX model, features
    read from the Feast online store; returns job_id, score best first. The loaded service is
    cached per run and store."""
    service = _service(str(run_dir), str(repo_dir), online_store, redis_connection_string)
    return service.score(member_id, job_ids, query)
