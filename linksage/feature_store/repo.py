"""The Feast repository on disk: copy the packaged definitions, write the settings they read,
open a `feast.FeatureStore` (SQLite or Redis online store) and `feast apply` through Feast's
Python API, so `linksage run` needs no shell. The repo stays a normal declarative Feast repo
that the `feast` CLI uses as is."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Literal

import yaml

from linksage.errors import LinksageError
from linksage.io import atomic_write_text

REPO_FILES = ("definitions.py", "feature_store.yaml", "feature_store.redis.yaml", "README.md")
SETTINGS_FILE = "data/linksage_settings.json"
ENTITY_ID = {"member": "member_id", "job": "job_id"}
GNN_VIEWS = ("member_gnn", "job_gnn")
FEATURE_TS = "feature_ts"
OnlineStoreKind = Literal["sqlite", "redis"]


class FeatureStoreError(LinksageError):
    """The feature repository is missing, incomplete or cannot serve what was asked."""

    exit_code = 2


def template_dir() -> Path:
    """The packaged feature_repo/ (definitions and store yaml files)."""
    import feature_repo

    return Path(feature_repo.__file__).resolve().parent


def copy_repo(dst: Path | str, *, src: Path | str | None = None) -> Path:
    """Copy the repository's definition files (not its data) into `dst`; return `dst`."""
    src, dst = Path(src) if src else template_dir(), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    for name in REPO_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)
    (dst / "data").mkdir(exist_ok=True)
    return dst


def ensure_repo(repo_dir: Path | str) -> Path:
    """Make `repo_dir` a feature repository: copy the definitions in if they are absent
    (a repo_dir that already has them, e.g. an edited copy, is left alone)."""
    repo_dir = Path(repo_dir)
    if (
        not (repo_dir / "definitions.py").is_file()
        or not (repo_dir / "feature_store.yaml").is_file()
    ):
        copy_repo(repo_dir)
    (repo_dir / "data").mkdir(parents=True, exist_ok=True)
    return repo_dir


def write_settings(repo_dir: Path | str, *, ttl_days: int, embedding_dim: int) -> Path:
    """Write the settings the declarative definitions read (TTL, embedding dimension)."""
    path = Path(repo_dir) / SETTINGS_FILE
    settings = {"ttl_days": int(ttl_days), "embedding_dim": int(embedding_dim)}
    atomic_write_text(path, json.dumps(settings, indent=2) + "\n")
    return path


def load_definitions(repo_dir: Path | str) -> list:
    """Import the repo's definitions.py afresh (so current settings apply) and return its Feast
    objects, as `feast apply` collects them."""
    from feast import Entity, FeatureService, FeatureView
    from feast.data_source import DataSource

    path = Path(repo_dir).resolve() / "definitions.py"
    if not path.is_file():
        raise FeatureStoreError(f"{path}: feature definitions not found")
    spec = importlib.util.spec_from_file_location(f"_linksage_repo_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kinds = (Entity, DataSource, FeatureView, FeatureService)
    objects = [v for v in vars(module).values() if isinstance(v, kinds)]
    return list({id(o): o for o in objects}.values())


def open_store(
    repo_dir: Path | str,
    *,
    online_store: OnlineStoreKind = "sqlite",
    redis_connection_string: str | None = None,
):
    """A `feast.FeatureStore` for the repo: SQLite from feature_store.yaml, or Redis from
    feature_store.redis.yaml (connection string overridable)."""
    from feast import FeatureStore
    from feast.repo_config import RepoConfig

    repo_dir = Path(repo_dir).resolve()
    name = "feature_store.yaml" if online_store == "sqlite" else "feature_store.redis.yaml"
    yaml_path = repo_dir / name
    if not yaml_path.is_file():
        raise FeatureStoreError(f"{yaml_path}: store configuration not found")
    raw = yaml.safe_load(os.path.expandvars(yaml_path.read_text()))
    if online_store == "redis" and redis_connection_string:
        raw["online_store"]["connection_string"] = redis_connection_string
    config = RepoConfig(**raw)
    config.repo_path = repo_dir
    return FeatureStore(repo_path=str(repo_dir), config=config)


def apply_repo(repo_dir: Path | str, **store_kwargs):
    """`feast apply` through the Python API; returns the FeatureStore."""
    store = open_store(repo_dir, **store_kwargs)
    store.apply(load_definitions(repo_dir))
    return store


def get_feature_service(store, name: str):
    """The named FeatureService, or a FeatureStoreError listing the ones that exist."""
    try:
        return store.get_feature_service(name)
    except Exception:  # Feast raises its own not-found type
        known = sorted(s.name for s in store.list_feature_services())
        raise FeatureStoreError(
            f"feature service {name!r} not found in {store.repo_path}; known: {', '.join(known)}"
        ) from None
