"""The experiment config: one YAML file, validated at load, split into small sections.

Each stage reads only its own section and library code takes plain arguments; the CLI is the
place that unpacks a section into those arguments. The time windows are checked here so that a
config that would leak labels into features never reaches a stage.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from linksage.ebr_config import EbrNegatives
from linksage.errors import ConfigError
from linksage.targeting_config import TargetingSection
from linksage.timeutil import utc_datetime
from linksage.tuning_config import TuningParams


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SyntheticSource(_Section):
    """The built-in synthetic job marketplace (see docs/generative_model.md)."""

    preset: Literal["paper", "dense"] = "paper"
    members: int = Field(5_000, ge=50)
    seed: int = 7
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    days: int = Field(84, ge=7, description="length of the simulated activity period")
    # written as a user's export arrives (linksage/synthetic/export.py): four tables, no request ids
    export: bool = False

    _utc_start = field_validator("start")(utc_datetime)


class DataSection(_Section):
    """Where the tables come from: the generator, or a directory of the user's own tables."""

    source: Literal["synthetic", "directory"] = "synthetic"
    synthetic: SyntheticSource = SyntheticSource()
    directory: Path | None = None

    @model_validator(mode="after")
    def _directory_given(self) -> DataSection:
        if self.source == "directory" and self.directory is None:
            raise ValueError("data.directory is required when data.source is 'directory'")
        return self


class WindowsSection(_Section):
    """Time windows: t_gnn_end <= t_train_start < t_train_end <= t_test_start < t_test_end."""

    t_gnn_end: datetime
    t_train_start: datetime
    t_train_end: datetime
    t_test_start: datetime
    t_test_end: datetime
    validation_days: float = Field(
        2.0, gt=0, description="ranker validation slice taken from the end of the train window"
    )

    _utc_all = field_validator(
        "t_gnn_end", "t_train_start", "t_train_end", "t_test_start", "t_test_end"
    )(utc_datetime)

    @model_validator(mode="after")
    def _no_leak(self) -> WindowsSection:
        rules = [
            ("t_gnn_end", "<=", "t_train_start"),
            ("t_train_start", "<", "t_train_end"),
            ("t_train_end", "<=", "t_test_start"),
            ("t_test_start", "<", "t_test_end"),
        ]
        for left, op, right in rules:
            a, b = getattr(self, left), getattr(self, right)
            ok = a <= b if op == "<=" else a < b
            if not ok:
                raise ValueError(
                    f"leak: time windows must satisfy {left} {op} {right}, "
                    f"got {left}={a.isoformat()} and {right}={b.isoformat()}"
                )
        if self.t_train_end - timedelta(days=self.validation_days) <= self.t_train_start:
            raise ValueError(
                "windows.validation_days leaves no training data before the validation slice"
            )
        return self

    @property
    def t_validation_start(self) -> datetime:
        """Start of the ranker validation slice (the end of the train window)."""
        return self.t_train_end - timedelta(days=self.validation_days)


class GnnParams(_Section):
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
        None,
        gt=0,
        description="labels of each slice are scored on the graph at the slice start "
        "(null = one graph at the validation start for all labels)",
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


class FeastSection(_Section):
    """Feature store settings (feature_repo/)."""

    repo_dir: Path = Path("feature_repo")
    online_store: Literal["sqlite", "redis"] = "sqlite"
    redis_connection_string: str = "localhost:6379"
    ttl_days: int = Field(30, ge=1)
    # bulk: linksage.feature_store.bulk_materialize (same online values); feast: its materialize
    materialize: Literal["bulk", "feast"] = "bulk"


class RankerParams(_Section):
    """A ranker's hyper-parameters: `rankers.train.train_ranker` takes them as `params`, and the
    config's rankers section extends them, so each default is defined here once."""

    epochs: int = Field(5, ge=1)
    batch_size: int = Field(256, ge=8)
    learning_rate: float = Field(1e-3, gt=0)
    tuning: Literal[False, "off"] | TuningParams = TuningParams()  # YAML `off` reads as false
    id_embedding_dim: int = Field(16, ge=2)
    cross_layers: int = Field(2, ge=0)
    hidden_units: tuple[int, ...] = (128, 64)
    # sampled live jobs per training request built from engagements (a channel without
    # impressions); and per validation and test request, so the metrics rank a realistic list
    negatives_per_request: int = Field(9, ge=1)
    candidates_per_request: int = Field(100, ge=1)
    train_negative_rate: float = Field(
        1.0,
        gt=0,
        le=1,
        description="share of training negatives kept (jymbii, search, taj; seeded, the same "
        "rows for every arm and seed); validation and test keep every example",
    )
    early_stopping_patience: int = Field(2, ge=1)
    history_features: bool = (
        True  # the member's engagements before each request (rankers/history.py)
    )
    ebr_negatives: EbrNegatives = EbrNegatives()  # linksage/ebr_config.py


class RankersSection(RankerParams):
    """TFRS ranker settings (rankers/): which tasks ("auto": every task the data supports, see
    rankers.plan; a list: exactly these, or an error naming what the data lacks), the shared
    hyper-parameters, and how many ranker runs (each a process) train at a time."""

    tasks: Literal["auto"] | tuple[Literal["jymbii", "search", "taj", "ebr"], ...] = "auto"
    parallel_runs: int = Field(2, ge=1)  # 2 cores; each run's peak is its own (<= 3 GiB)

    @field_validator("tasks")
    @classmethod
    def _tasks_not_empty(cls, v):
        if v != "auto" and not v:
            raise ValueError("name at least one task, or 'auto' for every task the data supports")
        return v

    def params(self) -> RankerParams:
        """The hyper-parameters alone, as the library takes them."""
        return RankerParams(**self.model_dump(exclude={"tasks", "parallel_runs"}))


class EvaluationSection(_Section):
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


class IndexParams(_Section):
    """A retrieval index's settings: `retrieval.JobIndex` takes them as `params`, and the
    config's retrieval section extends them, so each default is defined here once."""

    kind: Literal["flat", "hnsw"] = Field(
        "flat", description="faiss IndexFlatIP (exact) or IndexHNSWFlat (approximate)"
    )
    hnsw_m: int = Field(32, ge=2, description="HNSW links per node")
    hnsw_ef_construction: int = Field(80, ge=1)
    hnsw_ef_search: int = Field(256, ge=1)
    exact_below: int = Field(
        5_000,
        ge=0,
        description="HNSW: when fewer rows pass the rules, the one-pass search scans them "
        "exactly (a graph walk through a sparse filter visits most of the graph)",
    )


class RetrievalSection(IndexParams):
    """Retrieval over the live jobs (retrieval/, `linksage retrieve`) and the rules comparison
    of the evaluation report."""

    vectors: Literal["ebr", "gnn"] = Field(
        "ebr", description="EBR two-tower outputs, or the GNN embeddings (member_gnn, job_gnn)"
    )
    ebr_arm: Literal["control", "gnn"] = "gnn"
    k: int = Field(100, ge=1)
    overfetch: int = Field(
        10, ge=1, description="KNN-then-filter fetches overfetch * k before applying the rules"
    )

    def params(self) -> IndexParams:
        """The index settings alone, as the library takes them."""
        return IndexParams(**self.model_dump(include=set(IndexParams.model_fields)))


class NearlineSection(_Section):
    """Nearline worker settings (nearline)."""

    source: str = "file:events.jsonl"
    max_batch: int = Field(64, ge=1)
    replay_rate: float = Field(200.0, gt=0)
    refresh: Literal["touched", "ego"] = Field(
        "touched",
        description="re-embed the member and job of each event (touched), or every member and "
        "job whose 2-hop ego graph changed (ego: exact, costlier)",
    )
    consumer: str = Field("worker-1", description="Redis consumer name (N workers: NAME-1..N)")
    workers: int = Field(1, ge=1, le=64, description="processes in one Redis consumer group")
    availability_delay_s: float = Field(
        1.0,
        ge=0,
        description="offline nearline replay: an embedding is stamped this long after its event",
    )


class ExperimentConfig(_Section):
    """The whole experiment. Load it with :func:`load_config`."""

    name: str = "experiment"
    output_dir: Path = Path("runs/experiment")
    data: DataSection = DataSection()
    windows: WindowsSection
    gnn: GnnSection = GnnSection()
    feast: FeastSection = FeastSection()
    rankers: RankersSection = RankersSection()
    evaluation: EvaluationSection = EvaluationSection()
    nearline: NearlineSection = NearlineSection()
    retrieval: RetrievalSection = RetrievalSection()
    targeting: TargetingSection = TargetingSection()

    @property
    def data_dir(self) -> Path:
        """Directory holding the input tables, whichever the source."""
        if self.data.source == "directory":
            assert self.data.directory is not None
            return self.data.directory
        return self.output_dir / "data"

    def snapshot_times(self) -> list[datetime]:
        """Daily (by default) snapshot times from t_gnn_end up to and including t_test_end."""
        step = timedelta(days=self.gnn.snapshot_every_days)
        times, t = [], self.windows.t_gnn_end
        while t <= self.windows.t_test_end:
            times.append(t)
            t += step
        return times

    def to_yaml(self) -> str:
        """The config as YAML, to save beside a run's outputs."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)

    def save(self, path: Path) -> None:
        """Write the config beside a run's outputs (atomically)."""
        from linksage.io import atomic_write_text

        atomic_write_text(path, self.to_yaml())


def _format_validation_error(path: Path | str, err: ValidationError) -> str:
    lines = [f"{path}: invalid config"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"  {loc}: {msg}")
    return "\n".join(lines)


def parse_config(data: dict, source: str = "<dict>") -> ExperimentConfig:
    """Validate a config mapping; raise ConfigError naming the option on failure."""
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(source, err)) from None


def load_config(path: Path | str, overrides: dict | None = None) -> ExperimentConfig:
    """Read and validate a YAML experiment config. `overrides` are dotted keys, e.g.
    {"data.synthetic.members": 1000}."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping at the top level")
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return parse_config(data, str(path))
