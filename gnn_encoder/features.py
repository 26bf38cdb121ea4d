"""Member and job input features: what a member or job node is before message passing.

Only attributes of the entity itself, never its id, so a new member or job is represented
without retraining. Members: seniority one-hot (7) + scaled seniority, is_premium, seeker intent
one-hot (4 + missing), location one-hot (vocabulary + OOV). Jobs: seniority one-hot + scaled,
is_promoted, location one-hot. Attribute nodes (skill, title, company, position) have no input
features: the model gives them learned embeddings indexed by their vocabulary id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnn_encoder.id_maps import IdMaps
from linksage.data.schema import SEEKER_INTENTS, SENIORITY_RANGE

_N_SENIORITY = SENIORITY_RANGE[1] - SENIORITY_RANGE[0] + 1


def feature_dims(id_maps: IdMaps) -> dict[str, int]:
    """Input width of member and job features for these vocabularies."""
    n_loc = id_maps.size("location")
    return {
        "member": _N_SENIORITY + 1 + 1 + len(SEEKER_INTENTS) + 1 + n_loc,
        "job": _N_SENIORITY + 1 + 1 + n_loc,
    }


def _one_hot(index: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((len(index), width), np.float32)
    out[np.arange(len(index)), index] = 1.0
    return out


def _seniority(values: pd.Series) -> list[np.ndarray]:
    s = values.fillna(0).to_numpy(np.int64).clip(*SENIORITY_RANGE) - SENIORITY_RANGE[0]
    return [_one_hot(s, _N_SENIORITY), (s / (_N_SENIORITY - 1)).astype(np.float32)[:, None]]


def member_features(members: pd.DataFrame, id_maps: IdMaps) -> np.ndarray:
    """float32 [n, dims['member']] for rows of the members table (contract columns)."""
    intent = (
        members["seeker_intent"]
        if "seeker_intent" in members
        else pd.Series([None] * len(members), index=members.index)
    )
    intent_idx = pd.Index(SEEKER_INTENTS).get_indexer(intent.astype(object))
    intent_idx = np.where(intent_idx < 0, len(SEEKER_INTENTS), intent_idx)
    parts = _seniority(members["seniority"]) + [
        members["is_premium"].fillna(False).to_numpy(np.float32)[:, None],
        _one_hot(intent_idx, len(SEEKER_INTENTS) + 1),
        _one_hot(id_maps.lookup("location", members["location"]), id_maps.size("location")),
    ]
    return np.concatenate(parts, axis=1).astype(np.float32)


def job_features(jobs: pd.DataFrame, id_maps: IdMaps) -> np.ndarray:
    """float32 [n, dims['job']] for rows of the jobs table (contract columns)."""
    parts = _seniority(jobs["seniority"]) + [
        jobs["is_promoted"].fillna(False).to_numpy(np.float32)[:, None],
        _one_hot(id_maps.lookup("location", jobs["location"]), id_maps.size("location")),
    ]
    return np.concatenate(parts, axis=1).astype(np.float32)
