"""The config's `gnn` section: the GNN's hyper-parameters (GnnParams, what gnn_encoder takes) and
how the stages run them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from linksage.config.base import Section


class GnnParams(Section):
    """The GNN's hyper-parameters: `gnn_encoder.train.train_gnn` takes them as `params`, and the
    config's gnn section extends them, so each default is defined here once."""

    hidden_dim: int = Field(64, ge=4)
    embedding_dim: int = Field(64, ge=4)
    aggregation: Literal["mean", "attention"] = "mean"
    decoder: Literal["mlp", "cosine", "inbatch"] = "mlp"
    degree_features: bool = Field(
        True, description="log1p of each node's capped neighbour count per relation as an input"
    )
    dropout: float = Field(0.3, ge=0, lt=1, description="dropout on layer inputs in training")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay")
    fanouts: tuple[int, ...] = (15, 10)
    top_skills: int = Field(5, ge=1)
    skill_nodes: bool = True
    neighbour_cap: int = Field(50, ge=1, description="most recent K neighbours used at inference")
    positive_actions: tuple[Literal["view", "click", "save", "apply"], ...] = ("apply", "save")
    negatives_per_positive: int = Field(4, ge=0)
    validation_days: float = Field(5.0, gt=0)
    epochs: int = Field(10, ge=1)
    patience: int = Field(2, ge=1)
    batch_size: int = Field(512, ge=8)
    cuda_batch_size: int | None = Field(
        None,
        ge=8,
        description="training batch size on a CUDA device (null = batch_size); a GPU wants "
        "larger batches than a CPU core; the learning rate is not rescaled",
    )
    loader_workers: int = Field(
        0,
        ge=0,
        description="DataLoader worker processes sampling the next GNN batches while the model "
        "trains on this one (0 = in the training process; on a shared 2-core machine a worker "
        "was slower: benchmarks/train_gnn.py measures both)",
    )
    learning_rate: float = Field(3e-3, gt=0)
    seed: int = 0
    baselines: bool = Field(True, description="also train the no-message-passing baseline")
    eval_max_applies: int = Field(
        2000, ge=10, description="future applies sampled for the link-prediction metrics"
    )
    eval_step_days: float = Field(
        7.0, gt=0, description="snapshot spacing used by the link-prediction metrics"
    )
    train_slice_days: float | None = Field(
        7.0,
        gt=0,
        description="labels of each slice are scored on the graph at the slice start, as a "
        "snapshot embeds at serving time (null = one graph at the validation start for all "
        "labels, each batch's own pairs removed: neighbourhoods then hold later edges)",
    )


class GnnSection(GnnParams):
    """GraphSAGE encoder-decoder settings (gnn_encoder/): the hyper-parameters, and how the
    stages run them."""

    snapshot_every_days: float = Field(1.0, gt=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    torch_threads: int = Field(
        1, ge=0, description="torch intra-op threads per process (0 = torch's default)"
    )

    def params(self) -> GnnParams:
        """The hyper-parameters alone, as the library takes them."""
        return GnnParams(**self.model_dump(include=set(GnnParams.model_fields)))
