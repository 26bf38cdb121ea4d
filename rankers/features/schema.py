"""What each model input is, read from the Feast feature service's schema (plus request features).

A `FeatureSpec` says how one column of the training frame becomes a model input:

* ``id``          member_id / job_id (entity keys of the request): StringLookup + Embedding
* ``categorical`` Feast String (title, company, location...): StringLookup + Embedding
* ``bag``         "|"-joined String lists (top_skills) and query words: masked mean of embeddings
* ``numeric``     Feast Int64 / Float32 / Bool: one normalized column
* ``vector``      Feast Array(Float32) (the GNN embeddings): fed as is

`side` says which tower it belongs to (member, job, or pair: needs both, rankers only); `gnn`
marks the arm's transferred embeddings: features of views tagged ``group: gnn`` (or ``mf``,
``oracle``: the arms that stand in for the GNN), whose integration the tuning chooses. Timestamps (`feature_ts`, `posted_at`...) and
`model_version` are metadata, not inputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Kind = Literal["id", "categorical", "bag", "numeric", "vector"]
Side = Literal["member", "job", "pair"]

METADATA_FEATURES = ("feature_ts", "model_version")
SIDE_OF_KEY = {"member_id": "member", "job_id": "job"}
QUERY_WORDS = "query__words"
QUERY_TITLE_OVERLAP = "query__title_overlap"
QUERY_SKILL_OVERLAP = "query__skill_overlap"
PROFILE_TITLE_OVERLAP = "profile__title_overlap"
PROFILE_SKILL_OVERLAP = "profile__skill_overlap"
PROFILE_OVERLAP_TASKS = ("jymbii", "search", "taj")
EMBEDDING_GROUPS = ("gnn", "mf", "oracle", "placebo")  # view groups whose vectors an arm transfers


@dataclass(frozen=True)
class FeatureSpec:
    """How one frame column becomes one model input."""

    name: str
    kind: Kind
    side: Side
    gnn: bool = False
    separator: str | None = None  # for bags: how the string splits into tokens

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FeatureSpec:
        return cls(**d)


def id_specs() -> list[FeatureSpec]:
    """The request's entity keys, embedded through vocabularies in both arms."""
    return [FeatureSpec("member_id", "id", "member"), FeatureSpec("job_id", "id", "job")]


def request_specs(task: str) -> list[FeatureSpec]:
    """Features computed at request time (not stored in Feast; rankers.features.request): the
    search query's words and its overlap with the job (search, ebr: words only), and the
    member-job profile overlap (jymbii, search, taj; not ebr, whose towers take no pair input)."""
    specs = []
    if task in ("search", "ebr"):
        specs.append(FeatureSpec(QUERY_WORDS, "bag", "member", separator=" "))
    if task == "search":
        specs += [
            FeatureSpec(QUERY_TITLE_OVERLAP, "numeric", "pair"),
            FeatureSpec(QUERY_SKILL_OVERLAP, "numeric", "pair"),
        ]
    if task in PROFILE_OVERLAP_TASKS:
        specs += [
            FeatureSpec(PROFILE_TITLE_OVERLAP, "numeric", "pair"),
            FeatureSpec(PROFILE_SKILL_OVERLAP, "numeric", "pair"),
        ]
    return specs


def _kind(field_name: str, dtype) -> Kind | None:
    from feast.types import Array, PrimitiveFeastType

    if field_name in METADATA_FEATURES:
        return None
    if isinstance(dtype, Array):
        if dtype.base_type in (PrimitiveFeastType.FLOAT32, PrimitiveFeastType.FLOAT64):
            return "vector"
        raise ValueError(f"feature {field_name!r}: unsupported Feast type {dtype}")
    if dtype == PrimitiveFeastType.UNIX_TIMESTAMP:
        return None
    if dtype == PrimitiveFeastType.STRING:
        return "bag" if field_name.endswith("skills") else "categorical"
    numeric = ("INT32", "INT64", "FLOAT32", "FLOAT64", "BOOL")
    if dtype in [PrimitiveFeastType[n] for n in numeric]:
        return "numeric"
    raise ValueError(f"feature {field_name!r}: unsupported Feast type {dtype}")


def service_specs(store, feature_service: str) -> list[FeatureSpec]:
    """Specs for every input feature of a Feast feature service (full names `<view>__<f>`)."""
    from linksage.feature_store import get_feature_service

    service = get_feature_service(store, feature_service)
    specs = []
    for projection in service.feature_view_projections:
        view = store.get_feature_view(projection.name)
        key = view.entity_columns[0].name
        side = SIDE_OF_KEY.get(key)
        if side is None:
            raise ValueError(f"feature view {view.name!r}: unknown entity key {key!r}")
        gnn = view.tags.get("group") in EMBEDDING_GROUPS
        for field in projection.features:
            kind = _kind(field.name, field.dtype)
            if kind is None:
                continue
            name = f"{projection.name_to_use()}__{field.name}"
            sep = "|" if kind == "bag" else None
            specs.append(FeatureSpec(name, kind, side, gnn=gnn, separator=sep))
    return specs


def model_specs(store, feature_service: str, task: str) -> list[FeatureSpec]:
    """All inputs of a task's model: entity ids, the service's features, request features."""
    return id_specs() + service_specs(store, feature_service) + request_specs(task)
