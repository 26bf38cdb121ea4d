"""`EntityVectors`: one vector per member or job, and when it becomes valid. What every source of
embeddings other than the GNN hands the feature store (the mf and oracle arms)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class EntityVectors:
    """Row i: entity `ids[i]` has `vectors[i]` from `valid_from[i]` (UTC) on."""

    ids: np.ndarray
    vectors: np.ndarray
    valid_from: pd.Series

    def __post_init__(self):
        if not (len(self.ids) == len(self.vectors) == len(self.valid_from)):
            raise ValueError(
                f"ids ({len(self.ids)}), vectors ({len(self.vectors)}) and valid_from "
                f"({len(self.valid_from)}) must have one row per entity"
            )
