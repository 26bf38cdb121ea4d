"""The config's `evaluation` section: the offline A/B evaluation's settings (evaluation/)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from linksage.config.base import Section


class EvaluationSection(Section):
    """Offline A/B evaluation settings (evaluation/)."""

    seeds: tuple[int, ...] = (0, 1, 2)
    bootstrap_samples: int = Field(1000, ge=100)
    cold_start_max_engagements: int = Field(2, ge=0)
    ndcg_k: tuple[int, ...] = (5, 10)
    recall_k: tuple[int, ...] = Field(
        (5, 10, 20, 50, 100),
        description="standard Recall@K cut-offs; each ranking task reports the largest within "
        "recall_max_share of its median candidate list (at least 1)",
    )
    ebr_recall_k: tuple[int, ...] = Field(
        (5, 10, 20, 50, 100),
        description="the same for EBR, against the median live corpus (at most 100: EBR "
        "predictions hold the top 100)",
    )
    recall_max_share: float = Field(
        0.1, gt=0, le=1, description="Recall@K uses K at most this share of the candidates"
    )
    alpha: float = Field(0.05, gt=0, lt=1)
    power: float = Field(0.8, gt=0, lt=1, description="power of the reported MDE")
    max_mde_pct: float = Field(
        10.0, gt=0, description="a comparison whose MDE exceeds this (%) is underpowered"
    )
    min_training_positives: int = Field(
        1000, ge=0, description="a ranker trained on fewer positives is underpowered"
    )
    LEAKY_embed_on_full_graph: bool = Field(
        False,
        description="DELIBERATELY LEAKY: embeddings from the graph including the test window. "
        "Exists only to show that the leakage audit catches it.",
    )
    nearline_ablation: bool = True
    arms: tuple[Literal["control", "gnn", "mf", "oracle", "placebo"], ...] = Field(
        ("control", "gnn"),
        description="the arms trained and compared with the shared control (linksage/tasks.py); "
        "oracle needs data.source: synthetic",
    )
