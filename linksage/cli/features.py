"""Feature-store commands: `linksage features` and `linksage materialize`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from rich.console import Console

from linksage import artifacts
from linksage.config import ExperimentConfig, load_config
from linksage.errors import ConfigError
from linksage.tasks import ALTERNATIVE_ARMS, ORACLE_ARM, PLACEBO_ARM

console = Console()


def features_from_config(cfg: ExperimentConfig) -> dict[str, Path]:
    """Write the profile feature parquet (every snapshot time) into the config's feature repo."""
    from linksage.data.datasource import load_tables
    from linksage.feature_store import ensure_repo
    from linksage.feature_store.arm_embeddings import write_arm_embeddings
    from linksage.feature_store.profile_features import write_profile_features

    tables = load_tables(cfg.data, cfg.data_dir)
    repo = ensure_repo(cfg.feast.repo_dir)
    times = cfg.snapshot_times()
    with console.status(f"profile features at {len(times)} snapshot times"):
        paths = write_profile_features(tables, times, repo, top_k=cfg.gnn.top_skills)
    for arm in (a for a in cfg.evaluation.arms if a in ALTERNATIVE_ARMS):
        with console.status(f"the {arm} arm's embeddings"):
            files = write_arm_embeddings(
                repo, arm, arm_vectors(cfg, tables, arm), model_version=f"{arm}-{cfg.name}"
            )
        paths |= {f"{e}_{arm}": p for e, p in files.items()}
    cfg.save(artifacts.repo_data_dir(repo) / "config.yaml")
    return paths


def arm_vectors(cfg: ExperimentConfig, tables, arm: str) -> dict:
    """An alternative arm's member and job vectors (linksage.tasks.ALTERNATIVE_ARMS)."""
    if arm == PLACEBO_ARM:
        from linksage.feature_store.arm_embeddings import placebo_vectors

        return placebo_vectors(cfg.feast.repo_dir)
    if arm == ORACLE_ARM:
        from linksage.synthetic.oracle import oracle_vectors

        return oracle_vectors(cfg.data.synthetic)
    from linksage.data.matrix_factorization import mf_vectors

    return mf_vectors(tables.engagements, tables.jobs, cfg.windows.t_gnn_end)


def _manifest_model(cfg: ExperimentConfig) -> str | None:
    """The model_version the embeddings must carry, from `linksage embed`'s manifest."""
    path = artifacts.gnn_dir(cfg.output_dir) / artifacts.EMBEDDINGS_MANIFEST
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text())
    dim = manifest.get("embedding_dim")
    if dim is not None and int(dim) != cfg.gnn.embedding_dim:
        raise ConfigError(
            f"{path}: embedding_dim {dim} does not match gnn.embedding_dim "
            f"{cfg.gnn.embedding_dim} in the config"
        )
    return manifest.get("model_version")


def materialize_from_config(cfg: ExperimentConfig) -> dict[str, int]:
    """Guard the embeddings, apply the repo and materialize the range the test window serves:
    [t_test_start - ttl_days, t_test_end] (newest row per entity in that range goes online)."""
    from linksage.feature_store import prepare_and_materialize

    f = cfg.feast
    start = cfg.windows.t_test_start - timedelta(days=f.ttl_days)
    end = cfg.windows.t_test_end
    with console.status(f"feast apply + materialize {start:%Y-%m-%d} .. {end:%Y-%m-%d}"):
        rows = prepare_and_materialize(
            f.repo_dir,
            ttl_days=f.ttl_days,
            embedding_dim=cfg.gnn.embedding_dim,
            start=start,
            end=end,
            model_version=_manifest_model(cfg),
            online_store=f.online_store,
            redis_connection_string=f.redis_connection_string,
            method=f.materialize,
        )
    return rows


def features(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
) -> None:
    """Write member/job profile features at each snapshot time (data before it only)."""
    for name, path in features_from_config(load_config(config)).items():
        console.print(f"{name}: {path}")


def materialize(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
) -> None:
    """Check the embeddings, `feast apply` the repo, materialize the test window online."""
    cfg = load_config(config)
    rows = materialize_from_config(cfg)
    store = cfg.feast.online_store
    console.print(f"materialized into {store} from {cfg.feast.repo_dir}: {rows}")


def register(app: typer.Typer) -> None:
    """Add the feature-store commands to the CLI."""
    app.command("features")(features)
    app.command("materialize")(materialize)
