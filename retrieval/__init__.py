"""Retrieval over the live jobs: a faiss index of job vectors from the feature store (the EBR
job tower's outputs, or the GNN job embeddings), with the quality rules applied inside the
index's own search (one pass). numpy, faiss and pyarrow only: neither torch nor TensorFlow.

- `rules`: the rules (live, location or remote, seniority +-1, a shared term) over a corpus;
- `index`: `JobIndex`, faiss IndexFlatIP or IndexHNSWFlat with filtered search;
- `ways`: one pass vs KNN-then-filter vs filter-then-brute-force, and their comparison;
- `store`: the member's and the live jobs' features and vectors from the Feast online store;
- `serve`: one request end to end.
"""

from retrieval.index import JobIndex
from retrieval.rules import JobRules, Request
from retrieval.serve import Retrieved, retrieve, retrieve_gnn
from retrieval.store import Member, RetrievalInputError, read_member
from retrieval.ways import WAYS, Group, compare_ways

__all__ = [
    "WAYS",
    "Group",
    "JobIndex",
    "JobRules",
    "Member",
    "Request",
    "RetrievalInputError",
    "Retrieved",
    "compare_ways",
    "read_member",
    "retrieve",
    "retrieve_gnn",
]
