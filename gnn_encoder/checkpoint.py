"""The trained encoder-decoder on disk: weights, constructor kwargs and the frozen id maps.

``checkpoint.pt`` is a plain dict (``torch.load(..., weights_only=True)`` reads it):
``format``, ``encoder_kwargs`` (LinkSageEncoder's), ``encoder_state``, ``decoder``,
``decoder_state``, ``id_maps`` (IdMaps.to_dict()), ``graph`` ({top_skills, skill_nodes}),
``neighbour_cap``, ``t_gnn_end`` (ISO). ``model_version`` is a short hash of the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

from gnn_encoder.decoders import make_decoder
from gnn_encoder.id_maps import IdMaps
from gnn_encoder.model import LinkSageEncoder
from linksage.errors import LinksageError
from linksage.io import atomic_path

FORMAT = "linksage-gnn/1"


@dataclass
class Checkpoint:
    encoder: LinkSageEncoder
    decoder: torch.nn.Module
    id_maps: IdMaps
    top_skills: int
    skill_nodes: bool
    neighbour_cap: int
    t_gnn_end: str
    model_version: str
    encoder_kwargs: dict


def save_checkpoint(
    path: Path | str,
    *,
    encoder: LinkSageEncoder,
    encoder_kwargs: dict,
    decoder: torch.nn.Module,
    decoder_name: str,
    id_maps: IdMaps,
    top_skills: int,
    skill_nodes: bool,
    neighbour_cap: int,
    t_gnn_end: str,
) -> str:
    """Write the checkpoint atomically; return its model_version."""
    payload = {
        "format": FORMAT,
        "encoder_kwargs": {
            k: (list(map(list, v)) if k == "edge_types" else v) for k, v in encoder_kwargs.items()
        },
        "encoder_state": {k: v.detach().cpu() for k, v in encoder.state_dict().items()},
        "decoder": decoder_name,
        "decoder_state": {k: v.detach().cpu() for k, v in decoder.state_dict().items()},
        "id_maps": id_maps.to_dict(),
        "graph": {"top_skills": top_skills, "skill_nodes": skill_nodes},
        "neighbour_cap": neighbour_cap,
        "t_gnn_end": t_gnn_end,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return model_version(path)


def model_version(path: Path | str) -> str:
    """Short content hash of a checkpoint file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def load_checkpoint(path: Path | str) -> Checkpoint:
    """Load a checkpoint written by save_checkpoint (raises LinksageError if absent/invalid)."""
    path = Path(path)
    if not path.is_file():
        raise LinksageError(f"{path}: GNN checkpoint not found; run `linksage train-gnn` first")
    data = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LinksageError(f"{path}: not a linksage GNN checkpoint (format {FORMAT})")
    kwargs = dict(data["encoder_kwargs"])
    kwargs["edge_types"] = [tuple(e) for e in kwargs["edge_types"]]
    # kwargs a checkpoint may lack (written before the option, or by code that left it out):
    # read them off the weights
    state = data["encoder_state"]
    kwargs.setdefault("degree_features", any(k.startswith("degree.") for k in state))
    roots = [k for k in state if k.endswith(("lin_r.weight", "res.weight"))]
    kwargs.setdefault("shared_root", len(roots) < len(kwargs["edge_types"]))
    encoder = LinkSageEncoder(**kwargs)
    encoder.load_state_dict(data["encoder_state"])
    decoder = make_decoder(data["decoder"], kwargs["embedding_dim"])
    decoder.load_state_dict(data["decoder_state"])
    return Checkpoint(
        encoder=encoder.eval(),
        decoder=decoder.eval(),
        id_maps=IdMaps.from_dict(data["id_maps"]),
        top_skills=data["graph"]["top_skills"],
        skill_nodes=data["graph"]["skill_nodes"],
        neighbour_cap=data["neighbour_cap"],
        t_gnn_end=data["t_gnn_end"],
        model_version=model_version(path),
        encoder_kwargs=kwargs,
    )
