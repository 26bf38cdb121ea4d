"""The ranking tasks and A/B arms, named once for every stage."""

from __future__ import annotations

TASKS = ("jymbii", "search", "taj", "ebr")
ARMS = ("control", "gnn")
# The nearline ablation trains the gnn feature service on fresher job embeddings as a third arm.
NEARLINE_ARM = "gnn_nearline"
NEARLINE_TASKS = ("jymbii", "search")
