"""Point-in-time joins kept on disk, so the seeds of a task and arm join their examples once.

Every seed of a task and arm trains on the same examples (sampled negatives use a fixed seed)
joined with the same feature service, and the join is a large part of a run: at the paper config
about a third of a jymbii run's time. A joined frame is stored as parquet under a key made of
everything the join reads: the examples' content, the feature service and task, and the size and
modification time of the feature repository's registry and parquet sources (re-embedding or
re-applying the repository gives new keys). A frame is always the one read back from its file, so
the first seed and the later ones train on identical inputs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from linksage.artifacts import repo_data_dir
from linksage.io import write_parquet

_FORMAT = "1"  # bump when the stored layout of a joined frame changes


def _repo_state(repo_dir: Path | str) -> list[str]:
    data = repo_data_dir(repo_dir)
    files = sorted(f for f in [*data.glob("*.parquet"), data / "registry.db"] if f.is_file())
    return [f"{f.name}:{s.st_size}:{s.st_mtime_ns}" for f in files for s in [f.stat()]]


def join_key(repo_dir: Path | str, examples: pd.DataFrame, feature_service: str, task: str) -> str:
    """A digest of what a join of `examples` with `feature_service` reads."""
    digest = hashlib.sha256()
    for part in (_FORMAT, feature_service, task, *_repo_state(repo_dir), *examples.columns):
        digest.update(part.encode() + b"\0")
    digest.update(pd.util.hash_pandas_object(examples, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:32]


def cached_join(cache_dir: Path, key: str, join: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The frame stored under `key` in `cache_dir`, or `join()` stored there and read back."""
    path = Path(cache_dir) / f"{key}.parquet"
    if not path.is_file():
        write_parquet(join(), path)  # atomic: a crash leaves no half-written frame
    return pd.read_parquet(path)
