"""The product's top-level packages: what the code-shape, import-circle and one-home checks read."""

PRODUCT = (
    "linksage",
    "gnn_encoder",
    "nearline",
    "rankers",
    "evaluation",
    "retrieval",
    "targeting",
    "serving",
    "feature_repo",
)
