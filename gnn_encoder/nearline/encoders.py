"""The frozen ego-graph encoders (ONNX, one per target type) run with onnxruntime.

Trimmed inputs (the default, `trim=True`): `gnn_encoder.ego.build_ego_inputs` pads every
neighbour axis to the cap K, so each target costs K x K rows per hop-2 relation whatever its
real degrees (~9 MB of inputs and ~15-20 ms of onnxruntime per target at K = 50). Most of that
is padding: a title's 50 members each have one title and five skills. Every masked aggregation
of the encoder (SAGE mean, GAT softmax) ignores padding, so cutting each slot's neighbour axis to
the widest real list in the batch gives the same embeddings. `ego_inputs` builds that trimmed
form, and the sessions are opened from a copy of each ONNX graph whose K axes are declared
symbolic (`k_i` for hop-1 slot i, `k_i_j` for its hop-2 slot j); nothing else in the graph
changes. Padding `ego_inputs`' output back to K gives `build_ego_inputs`' arrays exactly
(tests/gnn_encoder/nearline/test_encoders.py).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from gnn_encoder.ego import (
    FeatureLookup,
    NeighbourLookup,
    build_ego_inputs,
    ego_slots,
    input_names,
)
from gnn_encoder.graph import ENTITY_TYPES
from linksage.errors import LinksageError


def _parent(slot_name: str) -> str:
    return slot_name.rsplit("_", 1)[0] if "_" in slot_name else "t"


def _unique_rows(lookup, ids: np.ndarray, *args) -> np.ndarray:
    """`lookup(unique ids, *args)` spread back over `ids` (each distinct node read once)."""
    uniq, inverse = np.unique(ids, return_inverse=True)
    return np.asarray(lookup(*args[:1], uniq, *args[1:]))[inverse.reshape(-1)]


def ego_inputs(
    target_type: str,
    target_ids: np.ndarray,
    neighbours: NeighbourLookup,
    features: FeatureLookup,
    cap: int,
    skill_nodes: bool = True,
) -> dict[str, np.ndarray]:
    """`build_ego_inputs` with each slot's neighbour axis cut to its widest real list (>= 1).

    Built hop by hop; a lookup with a `prefetch(lists=, features=)` method (the nearline
    `GraphState`) is asked for each hop's lists, then for all features, in one read each."""
    target_ids = np.asarray(target_ids, dtype=np.int64)
    slots = ego_slots(target_type, skill_nodes)
    prefetch = getattr(neighbours, "prefetch", None)
    ids_at: dict[str, np.ndarray] = {"t": target_ids}
    out: dict[str, np.ndarray] = {}
    for hop in (1, 2):
        level = [s for s in slots if len(s.path) == hop]
        if prefetch is not None:
            prefetch(lists=[(s.path[-1], ids_at[_parent(s.name)]) for s in level])
        for slot in level:
            parent = ids_at[_parent(slot.name)].reshape(-1)
            flat = _unique_rows(neighbours.neighbours, parent, slot.path[-1], cap)
            flat = np.where(parent[:, None] >= 0, flat.astype(np.int64), -1)
            used = np.flatnonzero((flat >= 0).any(axis=0))
            width = int(used[-1]) + 1 if len(used) else 1
            ids = flat[:, :width].reshape(*ids_at[_parent(slot.name)].shape, width)
            ids_at[slot.name] = ids
            out[f"{slot.name}_mask"] = (ids >= 0).astype(np.float32)
    entity_slots = [s for s in slots if s.node_type in ENTITY_TYPES]
    prefetch_features = getattr(features, "prefetch", None)
    if prefetch_features is not None:
        prefetch_features(features=[(s.node_type, ids_at[s.name]) for s in entity_slots])
    for slot in slots:
        ids = ids_at[slot.name]
        if slot.node_type in ENTITY_TYPES:
            valid = ids >= 0
            feats = _unique_rows(features.features, ids[valid], slot.node_type)
            x = np.zeros((*ids.shape, feats.shape[-1] if feats.ndim == 2 else 0), np.float32)
            x[valid] = feats
            out[f"{slot.name}_x"] = x
        else:
            out[f"{slot.name}_x"] = np.maximum(ids, 0).astype(np.int64)
    return {name: out[name] for name in input_names(target_type, skill_nodes)}


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
    module docstring); `trim=False` feeds `build_ego_inputs`' cap-padded arrays unchanged."""

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
            self.sessions[target], self.specs[target] = sess, spec
        caps = {s["cap"] for s in self.specs.values()}
        skills = {s["skill_nodes"] for s in self.specs.values()}
        if len(caps) != 1 or len(skills) != 1:
            raise LinksageError(f"{member_path} and {job_path} were exported with different caps")
        self.cap, self.skill_nodes = caps.pop(), skills.pop()

    def inputs(
        self,
        target_type: str,
        ids: np.ndarray,
        neighbours: NeighbourLookup,
        features: FeatureLookup,
    ) -> dict[str, np.ndarray]:
        """The ONNX input dict for `ids` (trimmed or cap-padded, as the sessions expect)."""
        build = ego_inputs if self.trim else build_ego_inputs
        ids = np.asarray(ids, np.int64)
        return build(target_type, ids, neighbours, features, self.cap, skill_nodes=self.skill_nodes)

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
