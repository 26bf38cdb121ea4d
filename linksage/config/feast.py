"""The config's `feast` section: the feature store (feature_repo/)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from linksage.config.base import Section


class FeastSection(Section):
    """Feature store settings (feature_repo/)."""

    repo_dir: Path = Path("feature_repo")
    online_store: Literal["sqlite", "redis"] = "sqlite"
    redis_connection_string: str = "localhost:6379"
    ttl_days: int = Field(30, ge=1)
    # bulk: linksage.feature_store.bulk_materialize (same online values); feast: its materialize
    materialize: Literal["bulk", "feast"] = "bulk"
