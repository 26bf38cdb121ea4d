"""What each stage of `linksage run` consumes: the config keys it reads and the files it reads and
leaves (linksage.cli.stage_records records them; docs/artifacts.md lists them for users).

Read off each stage's code: a key is listed when the stage (or what it calls) reads it. A stage
that runs makes every later one run as well, so a key only needs listing at the first stage whose
output it changes. Files are listed where reading them from another place would be a mistake a
user can make (their own data, a deleted or replaced file), not as a full trace.
"""

from __future__ import annotations

from pathlib import Path

from linksage import artifacts
from linksage.cli.stage_records import Consumes, no_paths
from linksage.config import ExperimentConfig
from linksage.data.schema import TABLES
from linksage.feature_store.decoder import DECODER_FILE
from linksage.feature_store.repo import PUBLISHED_FILE, SETTINGS_FILE
from linksage.tasks import ALTERNATIVE_ARMS, NEARLINE_ARM, PLACEBO_ARM


def _data_files(cfg: ExperimentConfig) -> list[Path]:
    """The input tables that exist (the optional ones may not)."""
    return [p for t in TABLES.values() if (p := cfg.data_dir / t.file_name).is_file()]


def _repo(cfg: ExperimentConfig, *names: str) -> list[Path]:
    return [Path(cfg.feast.repo_dir) / name for name in names]


def _gnn(cfg: ExperimentConfig, *names: str) -> list[Path]:
    return [artifacts.gnn_dir(cfg.output_dir) / name for name in names]


_PROFILES = ("data/member_profile.parquet", "data/job_profile.parquet")
_PUBLISHED = tuple(PUBLISHED_FILE.format(entity=e) for e in ("member", "job"))
# What the ranker runs read from the feature repo: the GNN views' and profile views' sources,
# the definitions' settings, the registry and the GNN decoder's weights.
_RANKER_REPO = (*_PUBLISHED, *_PROFILES, SETTINGS_FILE, "data/registry.db", f"data/{DECODER_FILE}")


def _arm_files(cfg: ExperimentConfig) -> list[Path]:
    """The alternative arms' embedding files in the feature repo (evaluation.arms)."""
    from linksage.feature_store.arm_embeddings import arm_embedding_files

    arms = [a for a in cfg.evaluation.arms if a in ALTERNATIVE_ARMS]
    return [p for a in arms for p in arm_embedding_files(cfg.feast.repo_dir, a).values()]


def _runs(cfg: ExperimentConfig, arms: tuple[str, ...], name: str) -> list[Path]:
    """Every ranker run's `name` file of the given arms (OUT/rankers/<task>/<arm>/seed<S>/)."""
    return artifacts.run_files(cfg.output_dir, arms, name)


def _run_dirs(cfg: ExperimentConfig, arms: tuple[str, ...]) -> list[Path]:
    """The arms' directories (OUT/rankers/<task>/<arm>/), with what a killed run left in them."""
    root = artifacts.rankers_dir(cfg.output_dir)
    return sorted(p for arm in arms for p in root.glob(f"*/{arm}"))


def _data(cfg: ExperimentConfig) -> Consumes:
    generated = cfg.data.source == "synthetic"
    return Consumes(
        config=lambda c: ("data",),
        # the user's own tables are an input; generated ones are this stage's output
        inputs=no_paths if generated else _data_files,
        outputs=_data_files,
        # never the user's directory: only tables this stage generated are replaced
        stale=_data_files if generated else no_paths,
    )


def _nearline_keys(cfg: ExperimentConfig) -> tuple[str, ...]:
    if not cfg.evaluation.nearline_ablation:
        return ("evaluation.nearline_ablation",)
    # it replays events through the worker, then trains the gnn_nearline ranker runs
    return (
        "evaluation.nearline_ablation",
        "evaluation.seeds",
        "nearline.refresh",
        "nearline.availability_delay_s",
        "rankers",
        "windows",
        "feast.repo_dir",
    )


def _nearline(cfg: ExperimentConfig) -> Consumes:
    return Consumes(
        config=_nearline_keys,
        inputs=lambda c: (
            _data_files(c)
            + _gnn(c, artifacts.CHECKPOINT, *artifacts.ENCODERS_ONNX, artifacts.ENCODER_ID_MAPS)
            + _repo(c, *_RANKER_REPO)
            if c.evaluation.nearline_ablation
            else []
        ),
        outputs=lambda c: _runs(c, (NEARLINE_ARM,), artifacts.PREDICTIONS),
        # its replay and repo copy are reused by its own code when present: a fresh run drops them
        stale=lambda c: [artifacts.nearline_dir(c.output_dir), *_run_dirs(c, (NEARLINE_ARM,))],
        resumable=True,  # each ranker run is written whole or not at all (rankers.train)
    )


def _rankers(cfg: ExperimentConfig) -> Consumes:
    return Consumes(
        config=lambda c: (
            "rankers",
            "evaluation.seeds",
            "evaluation.arms",
            "windows",
            "feast.repo_dir",
        ),
        inputs=lambda c: _data_files(c) + _repo(c, *_RANKER_REPO) + _arm_files(c),
        outputs=lambda c: _runs(c, c.evaluation.arms, artifacts.PREDICTIONS),
        # the runs on disk are skipped by train_missing_rankers: a fresh run removes them (the
        # join cache beside them is keyed by what it joined, so it stays)
        stale=lambda c: _run_dirs(c, c.evaluation.arms),
        resumable=True,  # each ranker run is written whole or not at all (rankers.train)
    )


def _evaluate(cfg: ExperimentConfig) -> Consumes:
    runs = (*cfg.evaluation.arms, NEARLINE_ARM)
    return Consumes(
        config=lambda c: (
            "name",
            "evaluation",
            "retrieval",
            "targeting",
            "rankers.tasks",
            "windows",
            "feast.repo_dir",
        ),
        inputs=lambda c: (
            _data_files(c)
            + _runs(c, runs, artifacts.PREDICTIONS)
            + _runs(c, runs, artifacts.EXAMPLES)
            + _repo(c, *_PUBLISHED)
            + _gnn(c, artifacts.EMBEDDINGS_MANIFEST)
        ),
        outputs=lambda c: [
            artifacts.evaluation_dir(c.output_dir) / f"report.{ext}"
            for ext in ("json", "md", "html")
        ],
    )


def stage_consumes(cfg: ExperimentConfig) -> dict[str, Consumes]:
    """Stage name -> what it consumes, in the order `linksage run` runs them."""
    return {
        "data": _data(cfg),
        "plan tasks": Consumes(
            config=lambda c: ("rankers.tasks", "windows"),
            inputs=_data_files,
            outputs=lambda c: [c.output_dir / "tasks.json"],
        ),
        "train-gnn": Consumes(
            config=lambda c: ("gnn", "windows"),
            inputs=_data_files,
            outputs=lambda c: _gnn(c, artifacts.CHECKPOINT, artifacts.GNN_METRICS),
        ),
        "embed": Consumes(
            config=lambda c: (
                "gnn",
                "windows",
                "feast.repo_dir",
                "evaluation.LEAKY_embed_on_full_graph",
            ),
            inputs=lambda c: _data_files(c) + _gnn(c, artifacts.CHECKPOINT),
            outputs=lambda c: (
                _gnn(
                    c,
                    artifacts.EMBEDDINGS_MANIFEST,
                    *artifacts.ENCODERS_ONNX,
                    artifacts.ENCODER_ID_MAPS,
                )
                + _repo(c, f"data/{DECODER_FILE}")
            ),
        ),
        "features": Consumes(
            config=lambda c: (
                "windows",
                "gnn.snapshot_every_days",
                "gnn.top_skills",
                "feast.repo_dir",
                "evaluation.arms",  # the mf and oracle arms' embeddings are written here too
            ),
            # the placebo arm moves the GNN's embeddings to other ids; materialize renames the
            # files it reads, so the manifest stands in for them
            inputs=lambda c: (
                _data_files(c)
                + (_gnn(c, "embeddings_manifest.json") if PLACEBO_ARM in c.evaluation.arms else [])
            ),
            outputs=lambda c: _repo(c, *_PROFILES) + _arm_files(c),
        ),
        "materialize": Consumes(
            # the embedding candidates it reads are renamed by it, so the manifest stands in
            config=lambda c: ("feast", "gnn.embedding_dim", "windows"),
            inputs=lambda c: _repo(c, *_PROFILES) + _gnn(c, artifacts.EMBEDDINGS_MANIFEST),
            outputs=lambda c: _repo(c, *_PUBLISHED, SETTINGS_FILE, "data/registry.db"),
        ),
        "nearline ablation": _nearline(cfg),
        "rankers": _rankers(cfg),
        "evaluate": _evaluate(cfg),
    }
