"""Wiring a worker from an experiment's artifacts: bootstrap the state, open the encoders."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from gnn_encoder.graph import build_graph
from gnn_encoder.id_maps import IdMaps, position_key
from gnn_encoder.nearline.state import GraphState, last_positions
from linksage.tables import Tables


def bootstrap_state(
    state: GraphState,
    tables: Tables,
    *,
    time: datetime,
    id_maps: IdMaps,
    top_skills: int = 5,
    info: dict | None = None,
) -> None:
    """Fill `state` with the batch snapshot at `time` (every edge before it, lists capped)."""
    graph = build_graph(
        tables, time=time, id_maps=id_maps, top_skills=top_skills, skill_nodes=state.skill_nodes
    )
    positions = tables.member_positions
    if positions is not None:
        positions = positions[np.isin(positions["member_id"].to_numpy(np.int64), graph.member_ids)]
    latest = last_positions(
        positions,
        before=pd.Timestamp(time),
        position_ids=lambda p: id_maps.lookup("position", position_key(p["company"], p["title"])),
    )
    state.bootstrap(
        graph,
        last_positions=latest,
        info={"time": pd.Timestamp(time).isoformat(), "cap": state.cap, **(info or {})},
    )
