"""The linksage Feast repository: entities, sources, feature views, push sources, services.

Declarative, in the style of Feast's templates. Two settings come from the experiment config
through `data/linksage_settings.json` (written by `linksage materialize`; absent in a fresh clone,
so the defaults below apply): the feature views' TTL and the embedding dimension (a tag; the
dimension itself is checked before materializing). Every view carries `feature_ts`, a copy of the
row's event timestamp, so a point-in-time join reports which row it picked
(`<view>__feature_ts`).

The four parquet sources are `FileSource`s for the file offline store (feature_store.yaml,
feature_store.redis.yaml) and the same files as `SparkSource`s when `LINKSAGE_OFFLINE_STORE=spark`
(with feature_store.spark.yaml): Feast does not tell a definitions file which yaml it runs with.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

from feast import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, ValueType
from feast.types import Array, Bool, Float32, Int64, String, UnixTimestamp

# Settings written by `linksage materialize` from the experiment config (defaults if absent).
SETTINGS_FILE = Path(__file__).parent / "data" / "linksage_settings.json"
SETTINGS = {"ttl_days": 30, "embedding_dim": 64}
if SETTINGS_FILE.is_file():
    SETTINGS |= json.loads(SETTINGS_FILE.read_text())

# How far back a point-in-time join (and the online store) may look for a feature row.
TTL = timedelta(days=int(SETTINGS["ttl_days"]))

# A member of the marketplace (job seeker).
member = Entity(
    name="member", join_keys=["member_id"], value_type=ValueType.INT64, description="A member"
)

# A job posting.
job = Entity(name="job", join_keys=["job_id"], value_type=ValueType.INT64, description="A job")

# Which offline store the parquet sources are declared for: "file" (default) or "spark".
OFFLINE_STORE = os.environ.get("LINKSAGE_OFFLINE_STORE", "file")
if OFFLINE_STORE not in ("file", "spark"):
    raise ValueError(f"LINKSAGE_OFFLINE_STORE={OFFLINE_STORE!r}: expected file or spark")


def parquet_source(name: str, path: str):
    """A parquet file of data/ as the offline store's source type. Spark resolves a relative
    path against its working directory, not the repo, so its path is absolute."""
    if OFFLINE_STORE == "spark":
        from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import (
            SparkSource,
        )

        return SparkSource(
            name=name,
            path=str(Path(__file__).resolve().parent / path),
            file_format="parquet",
            timestamp_field="event_timestamp",
        )
    return FileSource(name=name, path=path, timestamp_field="event_timestamp")


# Member profile features at each snapshot time, from data before the snapshot (`linksage features`).
member_profile_source = parquet_source("member_profile_source", "data/member_profile.parquet")

# Job profile features at each snapshot time, from data before the snapshot (`linksage features`).
job_profile_source = parquet_source("job_profile_source", "data/job_profile.parquet")

# Member GNN embeddings that passed the guard in `linksage materialize`.
member_gnn_source = parquet_source("member_gnn_source", "data/member_gnn.parquet")

# Job GNN embeddings that passed the guard in `linksage materialize`.
job_gnn_source = parquet_source("job_gnn_source", "data/job_gnn.parquet")

# Nearline member embeddings pushed by the worker (columns: member_id, embedding, model_version,
# event_timestamp, feature_ts).
member_gnn_push = PushSource(name="member_gnn_push", batch_source=member_gnn_source)

# Nearline job embeddings pushed by the worker (columns: job_id, embedding, model_version,
# event_timestamp, feature_ts).
job_gnn_push = PushSource(name="job_gnn_push", batch_source=job_gnn_source)

# Base member features every ranker uses (both arms).
member_profile = FeatureView(
    name="member_profile",
    entities=[member],
    ttl=TTL,
    schema=[
        Field(name="member_id", dtype=Int64),
        Field(name="seniority", dtype=Int64),
        Field(name="is_premium", dtype=Bool),
        Field(name="seeker_intent", dtype=String),
        Field(name="location", dtype=String),
        Field(name="title", dtype=String),
        Field(name="company", dtype=String),
        Field(name="top_skills", dtype=String),
        Field(name="tenure_days", dtype=Float32),
        Field(name="positions_count", dtype=Int64),
        Field(name="views_count", dtype=Int64),
        Field(name="clicks_count", dtype=Int64),
        Field(name="saves_count", dtype=Int64),
        Field(name="applies_count", dtype=Int64),
        Field(name="engagements_7d", dtype=Int64),
        Field(name="applies_7d", dtype=Int64),
        Field(name="feature_ts", dtype=UnixTimestamp),
    ],
    source=member_profile_source,
    online=True,
    tags={"group": "base"},
)

# Base job features every ranker uses (both arms).
job_profile = FeatureView(
    name="job_profile",
    entities=[job],
    ttl=TTL,
    schema=[
        Field(name="job_id", dtype=Int64),
        Field(name="seniority", dtype=Int64),
        Field(name="is_promoted", dtype=Bool),
        Field(name="location", dtype=String),
        Field(name="title", dtype=String),
        Field(name="company", dtype=String),
        Field(name="top_skills", dtype=String),
        Field(name="posted_at", dtype=UnixTimestamp),
        Field(name="expires_at", dtype=UnixTimestamp),
        Field(name="age_days", dtype=Float32),
        Field(name="views_count", dtype=Int64),
        Field(name="clicks_count", dtype=Int64),
        Field(name="applies_count", dtype=Int64),
        Field(name="applies_7d", dtype=Int64),
        Field(name="recruiter_actions_count", dtype=Int64),
        Field(name="feature_ts", dtype=UnixTimestamp),
    ],
    source=job_profile_source,
    online=True,
    tags={"group": "base"},
)

# Frozen GNN member embeddings (daily batch, plus nearline pushes).
member_gnn = FeatureView(
    name="member_gnn",
    entities=[member],
    ttl=TTL,
    schema=[
        Field(name="member_id", dtype=Int64),
        Field(name="embedding", dtype=Array(Float32)),
        Field(name="model_version", dtype=String),
        Field(name="feature_ts", dtype=UnixTimestamp),
    ],
    source=member_gnn_push,
    online=True,
    tags={"group": "gnn", "embedding_dim": str(SETTINGS["embedding_dim"])},
)

# Frozen GNN job embeddings (daily batch, plus nearline pushes).
job_gnn = FeatureView(
    name="job_gnn",
    entities=[job],
    ttl=TTL,
    schema=[
        Field(name="job_id", dtype=Int64),
        Field(name="embedding", dtype=Array(Float32)),
        Field(name="model_version", dtype=String),
        Field(name="feature_ts", dtype=UnixTimestamp),
    ],
    source=job_gnn_push,
    online=True,
    tags={"group": "gnn", "embedding_dim": str(SETTINGS["embedding_dim"])},
)

# JYMBII (job recommendations), control arm: base features only.
jymbii_control = FeatureService(
    name="jymbii_control", features=[member_profile, job_profile], tags={"arm": "control"}
)

# JYMBII, GNN arm: the control features plus the frozen GNN embeddings.
jymbii_gnn = FeatureService(
    name="jymbii_gnn",
    features=[member_profile, job_profile, member_gnn, job_gnn],
    tags={"arm": "gnn"},
)

# Job search, control arm: base features only.
search_control = FeatureService(
    name="search_control", features=[member_profile, job_profile], tags={"arm": "control"}
)

# Job search, GNN arm: the control features plus the frozen GNN embeddings.
search_gnn = FeatureService(
    name="search_gnn",
    features=[member_profile, job_profile, member_gnn, job_gnn],
    tags={"arm": "gnn"},
)

# Top applicant jobs (will the recruiter answer?), control arm: base features only.
taj_control = FeatureService(
    name="taj_control", features=[member_profile, job_profile], tags={"arm": "control"}
)

# Top applicant jobs, GNN arm: the control features plus the frozen GNN embeddings.
taj_gnn = FeatureService(
    name="taj_gnn",
    features=[member_profile, job_profile, member_gnn, job_gnn],
    tags={"arm": "gnn"},
)

# Embedding-based retrieval (two towers), control arm: base features only.
ebr_control = FeatureService(
    name="ebr_control", features=[member_profile, job_profile], tags={"arm": "control"}
)

# Embedding-based retrieval, GNN arm: the control features plus the frozen GNN embeddings.
ebr_gnn = FeatureService(
    name="ebr_gnn",
    features=[member_profile, job_profile, member_gnn, job_gnn],
    tags={"arm": "gnn"},
)


def _arm_view(entity: Entity, key: str, arm: str) -> FeatureView:
    """An arm's embeddings of one entity (`linksage features` writes them): offline only, and
    without a TTL, since a row holds from its entity's creation (oracle) or the GNN window's end
    (mf) to the end of the data; the placebo's daily snapshots are each the newest row anyway."""
    name = f"{entity.name}_{arm}"
    return FeatureView(
        name=name,
        entities=[entity],
        ttl=timedelta(0),  # Feast: no expiry
        schema=[
            Field(name=key, dtype=Int64),
            Field(name="embedding", dtype=Array(Float32)),
            Field(name="model_version", dtype=String),
            Field(name="feature_ts", dtype=UnixTimestamp),
        ],
        source=parquet_source(f"{name}_source", f"data/{name}.parquet"),
        online=False,
        tags={"group": arm},
    )


# The arms that stand in for the GNN (`evaluation.arms`: mf, the ALS factors of the GNN window's
# engagements; oracle, the synthetic generator's hidden vectors; placebo, the GNN's vectors moved
# to other ids by one fixed permutation): declared when both of an arm's
# files are in data/, each service holding the control's features plus the arm's embeddings.
for _arm in ("mf", "oracle", "placebo"):
    if not all((SETTINGS_FILE.parent / f"{e}_{_arm}.parquet").is_file() for e in ("member", "job")):
        continue
    globals()[f"member_{_arm}"] = _member_view = _arm_view(member, "member_id", _arm)
    globals()[f"job_{_arm}"] = _job_view = _arm_view(job, "job_id", _arm)
    for _task in ("jymbii", "search", "taj", "ebr"):
        globals()[f"{_task}_{_arm}"] = FeatureService(
            name=f"{_task}_{_arm}",
            features=[member_profile, job_profile, _member_view, _job_view],
            tags={"arm": _arm},
        )
