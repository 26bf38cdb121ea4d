"""The config's `rankers.tuning` section (the validation-slice search, rankers/training/tuning.py).

Part of the rankers section (linksage.config.rankers.RankerParams), validated with the whole
config at load.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from linksage.config.base import Section

GnnInputs = Literal["decoder", "raw", "projection", "similarity", "none"]
# how GNN vectors enter a ranker, in the order tried (the first: stage 1's, and tuning off's);
# none, last: the arm may find on validation that its vectors only add noise
DEFAULT_GNN_INPUTS: tuple[GnnInputs, ...] = ("decoder", "raw", "projection", "none")


class TuningParams(Section):
    """Every arm of a task tries the same first `trials` of learning_rate x dropout (walked
    diagonally); an arm with GNN vectors does so at the first of `gnn_inputs`, then tries the
    others at the chosen learning rate and dropout (rankers/training/tuning.py). `rankers.tuning: off`
    (YAML false) instead trains once at `rankers.learning_rate`, no dropout, at the first usable
    of the default `gnn_inputs`."""

    # 2: the most that keeps the demo (3 seeds per arm, 2 cores) within 15 minutes
    trials: int = Field(2, ge=1, description="settings tried per arm (at most the grid's size)")
    learning_rate: tuple[Annotated[float, Field(gt=0)], ...] = Field((1e-3, 3e-3), min_length=1)
    dropout: tuple[Annotated[float, Field(ge=0, lt=1)], ...] = Field(
        (0.0, 0.2), min_length=1, description="after each hidden ReLU layer"
    )
    gnn_inputs: tuple[GnnInputs, ...] = Field(
        DEFAULT_GNN_INPUTS,
        min_length=1,
        description="how GNN vectors enter, each with a presence indicator: decoder (the GNN's "
        "own link decoder's logit, frozen), raw (the vectors and their dot product), "
        "projection (each through a Dense(projection_dim)), similarity (the dot product alone), "
        "none (the arm's vectors and the features made from them left out: the arm's control)",
    )
    projection_dim: int = Field(8, ge=1, description="projection: each GNN vector to this size")
    each_seed: bool = Field(
        False,
        description="false: the first evaluation seed of each task and arm searches and the "
        "other seeds train at its choice (one search per arm, the same for every arm); true: "
        "every seed searches",
    )
