"""The frozen ego-graph encoders (ONNX, one per target type) run with onnxruntime.

Trimmed inputs (the default, `trim=True`): cap-padded ego inputs cost K x K rows per hop-2
relation for each target whatever its real degrees (~9 MB of inputs and ~15-20 ms of
onnxruntime per target at K = 50). Most of that is padding: a title's 50 members each have one
title and five skills. Every masked aggregation of the encoder (SAGE mean, GAT softmax) ignores
padding, so cutting each slot's neighbour axis to the widest real list in the batch
(`nearline.ego_inputs.build_inputs(..., trim=True)`) gives the same embeddings. The sessions
are opened from a copy of each ONNX graph whose K axes are declared symbolic (`k_i` for hop-1
slot i, `k_i_j` for its hop-2 slot j); nothing else in the graph changes. Padding the trimmed
inputs back to K gives the cap-padded arrays exactly
(tests/nearline/test_encoders.py).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from linksage.errors import LinksageError
from nearline.ego_inputs import FeatureLookup, NeighbourLookup, Slot, build_inputs, slots_from_spec


def _symbolic_neighbour_axes(model) -> None:
    """Declare each ego input's K axes symbolic (h{i}: axis 1 = k_i; h{i}_{j}: axes 1, 2)."""
    for value in model.graph.input:
        slot = value.name.rsplit("_", 1)[0]
        if slot == "t":
            continue
        parts = slot[1:].split("_")
        dims = value.type.tensor_type.shape.dim
        dims[1].dim_param = f"k_{parts[0]}"
        if len(parts) == 2:
            dims[2].dim_param = f"k_{parts[0]}_{parts[1]}"
    del model.graph.value_info[:]  # intermediate shapes were traced with K fixed


class EgoEncoders:
    """`encoder_member.onnx` and `encoder_job.onnx` sessions; `embed` builds their inputs.

    `threads`: onnxruntime intra-op threads per run. `trim`: run on trimmed inputs (see the
    module docstring); `trim=False` feeds cap-padded arrays."""

    def __init__(
        self, member_path: Path | str, job_path: Path | str, *, threads: int = 1, trim: bool = True
    ):
        import onnx
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.trim, self.threads = trim, threads
        self.paths = (Path(member_path), Path(job_path))
        self.sessions, self.specs = {}, {}
        self.slots: dict[str, list[Slot]] = {}
        for target, path in (("member", Path(member_path)), ("job", Path(job_path))):
            if not path.is_file():
                raise LinksageError(f"{path}: ONNX encoder not found (run `linksage embed` first)")
            model = onnx.load(str(path))
            meta = {p.key: p.value for p in model.metadata_props}
            if "ego_spec" not in meta:
                raise LinksageError(f"{path}: no ego_spec metadata; not an ego-graph encoder")
            spec = json.loads(meta["ego_spec"])
            if spec["target_type"] != target:
                raise LinksageError(f"{path}: encodes {spec['target_type']}s, expected {target}s")
            if trim:
                _symbolic_neighbour_axes(model)
            source = model.SerializeToString() if trim else str(path)
            sess = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
            try:
                self.slots[target] = slots_from_spec(spec)
            except ValueError as err:
                raise LinksageError(f"{path}: {err}") from None
            self.sessions[target], self.specs[target] = sess, spec
        caps = {s["cap"] for s in self.specs.values()}
        skills = {s["skill_nodes"] for s in self.specs.values()}
        if len(caps) != 1 or len(skills) != 1:
            raise LinksageError(f"{member_path} and {job_path} were exported with different caps")
        self.cap, self.skill_nodes = caps.pop(), skills.pop()
        self.dim = int(self.sessions["job"].get_outputs()[0].shape[-1])

    def inputs(
        self,
        target_type: str,
        ids: np.ndarray,
        neighbours: NeighbourLookup,
        features: FeatureLookup,
    ) -> dict[str, np.ndarray]:
        """The ONNX input dict for `ids` (trimmed or cap-padded, as the sessions expect)."""
        ids = np.asarray(ids, np.int64)
        return build_inputs(
            self.slots[target_type], ids, neighbours, features, self.cap, trim=self.trim
        )

    def embed(
        self,
        target_type: str,
        ids: np.ndarray,
        neighbours: NeighbourLookup,
        features: FeatureLookup,
    ) -> np.ndarray:
        """float32 [len(ids), D] embeddings of members or jobs from their current ego graphs."""
        inputs = self.inputs(target_type, ids, neighbours, features)
        try:
            return self.sessions[target_type].run(["embedding"], inputs)[0]
        except Exception as err:  # onnxruntime's errors share no public base class
            if not self.trim:
                raise
            warnings.warn(
                f"the {target_type} encoder rejected trimmed ego inputs ({err}); "
                "running cap-padded inputs from now on",
                stacklevel=2,
            )
        self.__init__(*self.paths, threads=self.threads, trim=False)
        return self.embed(target_type, ids, neighbours, features)
