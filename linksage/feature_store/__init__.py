"""The framework-free seam between the GNN (torch) and the rankers (TensorFlow): the Feast
repository, the embedding guard, profile features, materialization and reads."""

from linksage.feature_store.bulk import bulk_materialize
from linksage.feature_store.dask_tokens import identity_dask_tokens
from linksage.feature_store.materialize import (
    check_embedding_files,
    materialize,
    prepare_and_materialize,
    publish_embeddings,
    push_embeddings,
)
from linksage.feature_store.reads import feature_ts_columns, historical_features, online_features
from linksage.feature_store.repo import (
    ENTITY_ID,
    FEATURE_TS,
    GNN_VIEWS,
    FeatureStoreError,
    apply_repo,
    copy_repo,
    embedding_files,
    ensure_repo,
    get_feature_service,
    load_definitions,
    open_store,
    template_dir,
    write_settings,
)

__all__ = [
    "ENTITY_ID",
    "FEATURE_TS",
    "GNN_VIEWS",
    "FeatureStoreError",
    "apply_repo",
    "bulk_materialize",
    "check_embedding_files",
    "copy_repo",
    "embedding_files",
    "ensure_repo",
    "feature_ts_columns",
    "get_feature_service",
    "historical_features",
    "identity_dask_tokens",
    "load_definitions",
    "materialize",
    "online_features",
    "open_store",
    "prepare_and_materialize",
    "publish_embeddings",
    "push_embeddings",
    "template_dir",
    "write_settings",
]
