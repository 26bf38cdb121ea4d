"""Export the frozen encoder to ONNX in its ego-graph form (see gnn_encoder.ego).

One file per target type (``encoder_member.onnx``, ``encoder_job.onnx``). The batch dimension is
dynamic; the neighbour cap K is fixed at export. The ONNX metadata ``ego_spec`` (JSON) records
the target type, cap, skill_nodes flag, feature widths, and the input slots with their relation
paths, so a consumer can check it builds the inputs the file expects.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from gnn_encoder.ego import EgoEncoder, ego_slots, input_names
from gnn_encoder.graph import ENTITY_TYPES
from gnn_encoder.id_maps import IdMaps
from gnn_encoder.model import LinkSageEncoder
from linksage import artifacts
from linksage.io import atomic_path, atomic_write_text


def example_inputs(
    target_type: str,
    *,
    cap: int,
    feature_dims: dict[str, int],
    skill_nodes: bool = True,
    batch: int = 2,
) -> list[torch.Tensor]:
    """Zero-valued inputs of the right dtypes and shapes (for tracing)."""
    out = []
    for s in ego_slots(target_type, skill_nodes):
        shape = (batch,) + (cap,) * len(s.path)
        if s.node_type in ENTITY_TYPES:
            out.append(torch.zeros(*shape, feature_dims[s.node_type]))
        else:
            out.append(torch.zeros(shape, dtype=torch.long))
        if s.path:
            out.append(torch.ones(shape))
    return out


def export_ego_onnx(
    encoder: LinkSageEncoder,
    path: Path | str,
    *,
    target_type: str,
    cap: int,
    feature_dims: dict[str, int],
    skill_nodes: bool = True,
) -> Path:
    """Write the ego-graph encoder for `target_type` to `path` (atomically)."""
    ego = EgoEncoder(encoder.eval(), target_type, skill_nodes).eval()
    names = input_names(target_type, skill_nodes)
    args = tuple(
        example_inputs(target_type, cap=cap, feature_dims=feature_dims, skill_nodes=skill_nodes)
    )
    path = Path(path)
    with atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            ego,
            args,
            str(tmp),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={n: {0: "batch"} for n in [*names, "embedding"]},
            opset_version=17,
            dynamo=False,
        )
        model = onnx.load(str(tmp))
        spec = {
            "target_type": target_type,
            "cap": cap,
            "skill_nodes": skill_nodes,
            "feature_dims": feature_dims,
            "inputs": names,
            "slots": [
                {"name": s.name, "node_type": s.node_type, "path": [list(e) for e in s.path]}
                for s in ego_slots(target_type, skill_nodes)
            ],
        }
        onnx.helper.set_model_props(model, {"ego_spec": json.dumps(spec)})
        onnx.save(model, str(tmp))
    return path


def run_onnx(path: Path | str, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """Run an exported ego encoder with onnxruntime (CPU)."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(["embedding"], inputs)[0]


ID_MAPS_FILE = artifacts.ENCODER_ID_MAPS


def write_id_maps_file(
    directory: Path | str, id_maps: IdMaps, *, top_skills: int, model_version: str
) -> Path:
    """`encoder_id_maps.json` beside the ONNX encoders: what a consumer of the encoders (the
    nearline worker, nearline/artifacts.py) needs to map events to their inputs, without
    opening the torch checkpoint."""
    path = Path(directory) / ID_MAPS_FILE
    data = {"model_version": model_version, "top_skills": top_skills, "id_maps": id_maps.to_dict()}
    atomic_write_text(path, json.dumps(data))
    return path
