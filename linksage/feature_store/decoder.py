"""The GNN's link decoder, shipped in the feature repository beside the embeddings it scores.

The frozen encoder-decoder learned one affinity between a member embedding and a job embedding:
the decoder's logit (an MLP on [m, j, m * j] by default). A ranker that receives only the two
embeddings and their dot product gets a different function, one the GNN never optimised (on the
paper config's jymbii lists the dot product ranks at NDCG@10 0.36, random order 0.33, the decoder
0.52). So `linksage embed` writes the decoder's weights here as plain arrays
(`REPO/data/gnn_decoder.json`), and each consumer rebuilds the same function in its own framework:
the rankers as a frozen Keras layer (rankers/features/inputs.py), this module in numpy for checks. torch
and TensorFlow still meet only through the feature store.

Written by hand: no installable library stores a torch module's weights for a TensorFlow graph
without the two frameworks sharing a process (ONNX would need a runtime inside the Keras model).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from linksage.artifacts import repo_data_dir
from linksage.errors import LinksageError
from linksage.feature_store.repo import embedding_files
from linksage.io import atomic_write_text

DECODER_FILE = "gnn_decoder.json"
DECODER_KINDS = ("mlp", "cosine", "inbatch")
# the arrays each kind needs, with their meaning:
#   mlp: w1 [H, 3D], b1 [H], w2 [1, H], b2 [1]   logit = w2 relu(w1 [m, j, m*j] + b1) + b2
#   cosine: scale [], bias []                    logit = scale cos(m, j) + bias
#   inbatch: temperature []                      logit = m . j / temperature
_WEIGHTS = {
    "mlp": ("w1", "b1", "w2", "b2"),
    "cosine": ("scale", "bias"),
    "inbatch": ("temperature",),
}


@dataclass(frozen=True)
class LinkDecoder:
    """A frozen link decoder: its kind, the model version of the embeddings it scores, and its
    weights as float32 arrays."""

    kind: str
    model_version: str
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in DECODER_KINDS:
            raise LinksageError(
                f"GNN decoder kind {self.kind!r}: expected one of {', '.join(DECODER_KINDS)}"
            )
        missing = [k for k in _WEIGHTS[self.kind] if k not in self.weights]
        if missing:
            raise LinksageError(f"GNN decoder {self.kind}: weights {', '.join(missing)} missing")

    def logits(self, m: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The decoder's logit of each (member row, job row) pair: [N, D] x [N, D] -> [N]."""
        m, j = np.asarray(m, np.float32), np.asarray(j, np.float32)
        w = self.weights
        if self.kind == "mlp":
            hidden = np.maximum(np.concatenate([m, j, m * j], axis=1) @ w["w1"].T + w["b1"], 0)
            return (hidden @ w["w2"].T + w["b2"]).ravel()
        if self.kind == "cosine":
            norms = np.linalg.norm(m, axis=1) * np.linalg.norm(j, axis=1)
            cos = np.sum(m * j, axis=1) / np.maximum(norms, 1e-8)
            return w["scale"] * cos + w["bias"]
        return np.sum(m * j, axis=1) / w["temperature"]

    def to_json(self) -> str:
        arrays = {k: np.asarray(v, np.float32).tolist() for k, v in self.weights.items()}
        return json.dumps({"kind": self.kind, "model_version": self.model_version, **arrays})

    @classmethod
    def from_dict(cls, d: dict) -> LinkDecoder:
        kind = d.get("kind")
        weights = {k: np.asarray(d[k], np.float32) for k in _WEIGHTS.get(kind, ()) if k in d}
        return cls(kind=kind, model_version=str(d.get("model_version", "")), weights=weights)


def write_decoder(repo_data_dir: Path | str, decoder: LinkDecoder) -> Path:
    """Write the decoder into the repo's data directory (atomically); return its path."""
    path = Path(repo_data_dir) / DECODER_FILE
    atomic_write_text(path, decoder.to_json())
    return path


def read_decoder(repo_dir: Path | str) -> LinkDecoder | None:
    """The decoder of the repo's embeddings (`REPO/data/gnn_decoder.json`), None when the repo
    has none (embeddings the user brought, without a decoder). A decoder of another model
    version than the member embeddings' is refused: it would score vectors it never saw."""
    path = repo_data_dir(repo_dir) / DECODER_FILE
    if not path.is_file():
        return None
    try:
        decoder = LinkDecoder.from_dict(json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError, ValueError) as err:
        raise LinksageError(f"{path}: not a GNN decoder file ({err})") from err
    embeddings = embedding_files(repo_dir)["member"]
    if embeddings.is_file():
        first = pq.ParquetFile(embeddings).read_row_group(0, columns=["model_version"])
        versions = set(first.column("model_version").to_pylist())
        if versions and decoder.model_version not in versions:
            raise LinksageError(
                f"{path}: the decoder of model {decoder.model_version}, but {embeddings} holds "
                f"model {', '.join(sorted(map(str, versions)))}; re-run `linksage embed`, or "
                "delete the decoder file to rank without the decoder integration"
            )
    return decoder
