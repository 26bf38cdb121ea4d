"""The frozen ego-graph encoders (ONNX, one per target type) run with onnxruntime."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gnn_encoder.ego import FeatureLookup, NeighbourLookup, build_ego_inputs
from linksage.errors import LinksageError


class EgoEncoders:
    """`encoder_member.onnx` and `encoder_job.onnx` sessions; `embed` builds their inputs."""

    def __init__(self, member_path: Path | str, job_path: Path | str, *, threads: int = 1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.sessions, self.specs = {}, {}
        for target, path in (("member", Path(member_path)), ("job", Path(job_path))):
            if not path.is_file():
                raise LinksageError(f"{path}: ONNX encoder not found (run `linksage embed` first)")
            sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            meta = sess.get_modelmeta().custom_metadata_map
            if "ego_spec" not in meta:
                raise LinksageError(f"{path}: no ego_spec metadata; not an ego-graph encoder")
            spec = json.loads(meta["ego_spec"])
            if spec["target_type"] != target:
                raise LinksageError(f"{path}: encodes {spec['target_type']}s, expected {target}s")
            self.sessions[target], self.specs[target] = sess, spec
        caps = {s["cap"] for s in self.specs.values()}
        skills = {s["skill_nodes"] for s in self.specs.values()}
        if len(caps) != 1 or len(skills) != 1:
            raise LinksageError(f"{member_path} and {job_path} were exported with different caps")
        self.cap, self.skill_nodes = caps.pop(), skills.pop()

    def embed(
        self,
        target_type: str,
        ids: np.ndarray,
        neighbours: NeighbourLookup,
        features: FeatureLookup,
    ) -> np.ndarray:
        """float32 [len(ids), D] embeddings of members or jobs from their current ego graphs."""
        inputs = build_ego_inputs(
            target_type,
            np.asarray(ids, np.int64),
            neighbours,
            features,
            self.cap,
            skill_nodes=self.skill_nodes,
        )
        return self.sessions[target_type].run(["embedding"], inputs)[0]
