"""The config's `retrieval` section: the index's settings (IndexParams, what retrieval takes)
and the retrieval over the live jobs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from linksage.config.base import Section


class IndexParams(Section):
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
