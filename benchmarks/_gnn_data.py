"""Shared setup for the GNN benchmarks: a marketplace and its snapshot graph."""

from __future__ import annotations

import pandas as pd

from gnn_encoder.graph import build_graph
from gnn_encoder.id_maps import build_id_maps


def marketplace_graph(members: int, seed: int = 7):
    """Synthetic marketplace (the `paper` preset) of `members` members, graph at day 56."""
    from linksage.synthetic.marketplace import generate_marketplace

    start = pd.Timestamp("2026-01-01", tz="UTC")
    tables = generate_marketplace(members=members, seed=seed, start=start, days=84)
    t = start + pd.Timedelta(days=56)
    maps = build_id_maps(tables, before=t)
    return tables, maps, build_graph(tables, time=t, id_maps=maps)
