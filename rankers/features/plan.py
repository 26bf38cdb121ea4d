"""The fitted preprocessing of a ranker: vocabularies, bag lengths, numeric statistics.

Fitted on the training split only, saved beside the model (`features.json`), and used to turn a
frame (training frame or online read) into the arrays the Keras and ONNX models take, so that
training and serving feed the models identically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from linksage.feature_store.decoder import LinkDecoder
from linksage.io import atomic_write_text
from rankers.features.schema import FeatureSpec

PAD = ""  # bag padding token; first entry of every bag vocabulary


@dataclass
class FeaturePlan:
    """Specs plus everything fitted on training data that the inputs need."""

    specs: list[FeatureSpec]
    vocabularies: dict[str, list[str]] = field(default_factory=dict)
    bag_lengths: dict[str, int] = field(default_factory=dict)
    numeric_mean: dict[str, float] = field(default_factory=dict)
    numeric_var: dict[str, float] = field(default_factory=dict)
    vector_dims: dict[str, int] = field(default_factory=dict)
    vector_mean: dict[str, list[float]] = field(default_factory=dict)
    vector_var: dict[str, list[float]] = field(default_factory=dict)
    dot_mean: float = 0.0  # statistics of the member . job product of raw vectors (gnn arm)
    dot_var: float = 1.0
    # the GNN's frozen link decoder (LinkDecoder.to_json's fields) and its logit's statistics,
    # over training rows where both vectors are present; None without a decoder in the repo
    decoder: dict | None = None
    decoder_mean: float = 0.0
    decoder_var: float = 1.0

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        specs: list[FeatureSpec],
        *,
        max_vocab: int = 100_000,
        max_bag: int = 16,
        decoder: LinkDecoder | None = None,
    ) -> FeaturePlan:
        """Fit on the training frame (vocabularies sorted by frequency, then value). `decoder`:
        the GNN's link decoder, kept when the specs hold a member and a job vector it can score."""
        plan = cls(specs=list(specs))
        for spec in specs:
            col = _column(frame, spec.name)
            if spec.kind in ("id", "categorical"):
                plan.vocabularies[spec.name] = _vocabulary(_strings(col), max_vocab)
            elif spec.kind == "bag":
                tokens = [_tokens(v, spec.separator) for v in col]
                flat = pd.Series([t for ts in tokens for t in ts], dtype=object)
                plan.vocabularies[spec.name] = [PAD] + _vocabulary(flat, max_vocab)
                plan.bag_lengths[spec.name] = max(1, min(max_bag, max(map(len, tokens), default=1)))
            elif spec.kind == "numeric":
                values = pd.to_numeric(col, errors="coerce").astype("float64")
                mean = float(values.mean()) if values.notna().any() else 0.0
                var = float(values.var(ddof=0)) if values.notna().sum() > 1 else 1.0
                plan.numeric_mean[spec.name] = mean
                plan.numeric_var[spec.name] = var if var > 1e-12 else 1.0
            else:
                dims = {len(v) for v in col if _is_vector(v)}
                if len(dims) > 1:
                    raise ValueError(f"column {spec.name}: vectors of several lengths {dims}")
                if not dims:
                    raise ValueError(f"column {spec.name}: no vector in the training frame")
                plan.vector_dims[spec.name] = dims.pop()
                mat = np.stack([np.asarray(v, dtype=np.float64) for v in col if _is_vector(v)])
                plan.vector_mean[spec.name] = mat.mean(axis=0).tolist()
                plan.vector_var[spec.name] = np.where(
                    mat.var(axis=0) > 1e-12, mat.var(axis=0), 1.0
                ).tolist()
        plan._fit_pair(frame, decoder)
        return plan

    def dot_pair(self) -> tuple[str, str] | None:
        """(member vector, job vector) whose dot product is an input, if both are present."""
        by_side = {s.side: s.name for s in self.specs if s.kind == "vector"}
        pair = by_side.get("member"), by_side.get("job")
        if None in pair or self.vector_dims[pair[0]] != self.vector_dims[pair[1]]:
            return None
        return pair

    def link_decoder(self) -> LinkDecoder | None:
        """The GNN's frozen link decoder the plan carries (None: no decoder input)."""
        return LinkDecoder.from_dict(self.decoder) if self.decoder else None

    def _fit_pair(self, frame: pd.DataFrame, decoder: LinkDecoder | None) -> None:
        """Statistics of the pair scalars (dot product, decoder logit) over the training rows
        where both vectors are present: a missing vector makes them neutral (0 once
        standardized), so its zeros must not shift the statistics."""
        pair = self.dot_pair()
        if pair is None:
            return
        arrays = self.arrays(frame, list(pair))
        m, j = arrays[pair[0]], arrays[pair[1]]
        both = m.any(axis=1) & j.any(axis=1)
        m, j = m[both], j[both]
        if not len(m):
            return
        self.dot_mean, self.dot_var = _moments(np.sum(m.astype(np.float64) * j, axis=1))
        if decoder is not None:
            _check_decoder_width(decoder, m.shape[1])
            self.decoder = json.loads(decoder.to_json())
            self.decoder_mean, self.decoder_var = _moments(decoder.logits(m, j))

    def names(self, side: str | None = None) -> list[str]:
        """Input names, optionally only those of one side (member, job, pair)."""
        return [s.name for s in self.specs if side is None or s.side == side]

    def arrays(self, frame: pd.DataFrame, names: list[str] | None = None) -> dict[str, np.ndarray]:
        """Model inputs as numpy arrays (strings as object arrays), missing values filled."""
        out = {}
        for spec in self.specs:
            if names is not None and spec.name not in names:
                continue
            col = _column(frame, spec.name)
            if spec.kind in ("id", "categorical"):
                out[spec.name] = _strings(col).to_numpy(dtype=object)
            elif spec.kind == "bag":
                length = self.bag_lengths[spec.name]
                bag = np.full((len(col), length), PAD, dtype=object)
                for i, value in enumerate(col):
                    toks = _tokens(value, spec.separator)[:length]
                    bag[i, : len(toks)] = toks
                out[spec.name] = bag
            elif spec.kind == "numeric":
                values = pd.to_numeric(col, errors="coerce").astype("float64")
                values = values.fillna(self.numeric_mean[spec.name])
                out[spec.name] = values.to_numpy(dtype=np.float32)
            else:
                # a missing vector is all zeros: the model reads that as "absent" (its presence
                # indicator, rankers/features/inputs.py) and makes every GNN input neutral for the row
                mat = np.zeros((len(col), self.vector_dims[spec.name]), dtype=np.float32)
                for i, value in enumerate(col):
                    if _is_vector(value):
                        mat[i] = np.asarray(value, dtype=np.float32)
                out[spec.name] = mat
        return out

    def row_arrays(self, row: Mapping[str, object], names: list[str]) -> dict[str, np.ndarray]:
        """`arrays` of a one-row frame, from a mapping of its values: equal to
        `arrays(pd.DataFrame([row]), names)` without pandas' per-column work (~1 ms a feature
        for one row; the serving path computes a member's inputs this way)."""
        out = {}
        for spec in self.specs:
            if spec.name not in names:
                continue
            if spec.name not in row:
                raise KeyError(f"feature column {spec.name!r} is missing from the row")
            value = row[spec.name]
            if spec.kind in ("id", "categorical"):
                out[spec.name] = np.array([_string(value)], dtype=object)
            elif spec.kind == "bag":
                bag = np.full((1, self.bag_lengths[spec.name]), PAD, dtype=object)
                toks = _tokens(value, spec.separator)[: bag.shape[1]]
                bag[0, : len(toks)] = toks
                out[spec.name] = bag
            elif spec.kind == "numeric":
                x = _number(value)
                x = self.numeric_mean[spec.name] if np.isnan(x) else x
                out[spec.name] = np.array([x], dtype=np.float32)
            else:
                mat = np.zeros((1, self.vector_dims[spec.name]), dtype=np.float32)
                if _is_vector(value):
                    mat[0] = np.asarray(value, dtype=np.float32)
                out[spec.name] = mat
        return out

    def to_json(self) -> str:
        d = {k: v for k, v in vars(self).items() if k != "specs"}
        return json.dumps({"specs": [s.to_dict() for s in self.specs], **d}, indent=1)

    def save(self, path: Path | str) -> None:
        atomic_write_text(path, self.to_json())

    @classmethod
    def load(cls, path: Path | str) -> FeaturePlan:
        d = json.loads(Path(path).read_text())
        d["specs"] = [FeatureSpec.from_dict(s) for s in d["specs"]]
        return cls(**d)


def _check_decoder_width(decoder: LinkDecoder, dim: int) -> None:
    if decoder.kind == "mlp" and decoder.weights["w1"].shape[1] != 3 * dim:
        raise ValueError(
            f"the GNN decoder scores {decoder.weights['w1'].shape[1] // 3}-dimensional "
            f"embeddings, the feature service's are {dim}-dimensional (re-run `linksage embed`)"
        )


def _moments(values: np.ndarray) -> tuple[float, float]:
    """Mean and variance (1 for a constant) of a float array."""
    values = np.asarray(values, np.float64)
    var = float(values.var())
    return float(values.mean()), var if var > 1e-12 else 1.0


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        raise KeyError(f"feature column {name!r} is missing from the frame")
    return frame[name]


def _strings(col: pd.Series) -> pd.Series:
    """Values as strings; ids without a trailing '.0'; missing as ''."""
    if pd.api.types.is_float_dtype(col) and col.dropna().mod(1).eq(0).all():
        col = col.astype("Int64")
    return col.astype(object).where(col.notna(), "").astype(str)


def _string(value: object) -> str:
    """One value as `_strings` writes it in a column of that value alone."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _number(value: object) -> float:
    """One value as `pd.to_numeric(..., errors="coerce")` reads it (NaN: missing or not a
    number)."""
    if value is None or isinstance(value, str | bytes):
        try:
            return float(value) if value is not None else np.nan
        except ValueError:
            return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _tokens(value: object, separator: str | None) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    return [t.strip() for t in value.split(separator) if t.strip()]


def _vocabulary(values: pd.Series, max_size: int) -> list[str]:
    counts = values[values != ""].value_counts()
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [str(k) for k, _ in order[:max_size]]


def _is_vector(value: object) -> bool:
    return (
        value is not None and not (isinstance(value, float) and np.isnan(value)) and len(value) > 0
    )
