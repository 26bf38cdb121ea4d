"""What the worker loads from `OUT/gnn/`: the two ONNX ego encoders and the id maps file beside
them (`encoder_id_maps.json`, written with the encoders by `linksage embed`).

The id maps file holds what the checkpoint used to be opened for: the frozen vocabularies
(`IdMaps.to_dict()`), the graph settings that map events to edges (`top_skills`) and the
checkpoint's `model_version` (stamped on every pushed row). Reading it instead of
`checkpoint.pt` keeps torch out of the worker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gnn_encoder.id_maps import IdMaps
from linksage import artifacts
from linksage.errors import LinksageError

ID_MAPS_FILE = artifacts.ENCODER_ID_MAPS
ENCODER_FILES = {"member": "encoder_member.onnx", "job": "encoder_job.onnx"}


@dataclass(frozen=True)
class EncoderArtifacts:
    """The id maps file's content, with the encoders' paths."""

    member_encoder: Path
    job_encoder: Path
    id_maps: IdMaps
    top_skills: int
    model_version: str


def load_artifacts(gnn_dir: Path | str) -> EncoderArtifacts:
    """Read `gnn_dir`'s id maps file; a missing or malformed file is a LinksageError naming it."""
    gnn_dir = Path(gnn_dir)
    path = gnn_dir / ID_MAPS_FILE
    if not path.is_file():
        raise LinksageError(f"{path}: id maps file not found (run `linksage embed` first)")
    try:
        data = json.loads(path.read_text())
        id_maps = IdMaps.from_dict(data["id_maps"])
        top_skills, version = int(data["top_skills"]), str(data["model_version"])
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise LinksageError(f"{path}: not a valid id maps file ({err!r})") from None
    return EncoderArtifacts(
        gnn_dir / ENCODER_FILES["member"],
        gnn_dir / ENCODER_FILES["job"],
        id_maps,
        top_skills,
        version,
    )
