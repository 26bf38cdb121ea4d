"""The ranking tasks and A/B arms, named once for every stage."""

from __future__ import annotations

TASKS = ("jymbii", "search", "taj", "ebr")
# The A/B pair every run trains: the control ranker and the same ranker with GNN features.
ARMS = ("control", "gnn")
# Arms that replace the GNN's embeddings with another source, compared with the same control
# (`evaluation.arms`): matrix factorization of the GNN window's engagements, and, on synthetic data
# only, the generator's hidden member-interest and job-profile vectors (the headroom); and the
# placebo: the GNN's own vectors moved to other ids (what the extra inputs buy without the GNN).
ALTERNATIVE_ARMS = ("mf", "oracle", "placebo")
ORACLE_ARM = "oracle"
PLACEBO_ARM = "placebo"
# The nearline ablation trains the gnn feature service on fresher job embeddings as a third arm.
NEARLINE_ARM = "gnn_nearline"
NEARLINE_TASKS = ("jymbii", "search")
