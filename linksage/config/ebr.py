"""The config's `rankers.ebr_negatives` section: which negatives EBR's two towers train against
(rankers/data/hard_negatives.py, docs/retrieval.md).

Part of the rankers section (linksage.config.rankers.RankerParams), validated with the whole
config at load.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from linksage.config.base import Section

NegativeStrategy = Literal["in_batch", "seen", "mined", "curriculum"]


class EbrNegatives(Section):
    """Every strategy in `strategies` is trained at the setting tuning chose (with in-batch
    negatives); the best validation recall wins, the first of ties (so list in_batch first)."""

    strategies: tuple[NegativeStrategy, ...] = Field(
        ("in_batch", "seen", "mined", "curriculum"),
        min_length=1,
        description="in_batch: the other positives of the batch only; seen: plus jobs the member "
        "saw in the same window and did not apply to; mined: plus the hardest live jobs of the "
        "day by the current towers; curriculum: in_batch first, then seen and mined",
    )
    per_positive: int = Field(
        16,
        ge=1,
        description="extra candidates per training positive (seen jobs, or live jobs of its day "
        "the member has not applied to, drawn with a fixed seed)",
    )
    num_hard_negatives: int = Field(
        32,
        ge=1,
        description="mined, curriculum: tfrs HardNegativeMining keeps this many highest-scoring "
        "negatives per positive (of the batch's positives and its own extra candidates)",
    )
    warmup_epochs: int = Field(
        1, ge=1, description="curriculum: in-batch negatives only for this many epochs"
    )
    sampling_bias_correction: bool = Field(
        True,
        description="logQ correction of the in-batch softmax (Yi et al., RecSys 2019): each "
        "in-batch candidate's logit minus the log of its sampling probability, its job's share "
        "of the train split's positives. In-batch negatives are drawn in proportion to a job's "
        "frequency among the positives, so without it popular jobs are over-penalised; the "
        "extra candidates of seen / mined / curriculum are not drawn by frequency and stay "
        "uncorrected",
    )

    @field_validator("strategies")
    @classmethod
    def _distinct(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError(f"name each strategy once, got {list(v)}")
        return v
