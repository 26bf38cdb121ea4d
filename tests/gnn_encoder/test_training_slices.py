"""Train/serve parity of the GNN's training neighbourhoods (gnn.train_slice_days, on by default):
a training label is scored on a graph holding only the edges before its slice, as a snapshot
embeds a member or job at serving time."""

from __future__ import annotations

import pandas as pd

from gnn_encoder.graph import MEMBER_JOB_RELATIONS
from gnn_encoder.id_maps import build_id_maps
from gnn_encoder.train import build_training_data
from linksage.config import GnnParams


def test_no_training_label_sees_an_edge_from_its_own_slice_or_later(tiny_config, tiny_tables):
    params = GnnParams()
    assert params.train_slice_days is not None  # parity is the default
    t_end = pd.Timestamp(tiny_config.windows.t_gnn_end)
    t_val = t_end - pd.Timedelta(days=params.validation_days)
    id_maps = build_id_maps(tiny_tables, before=t_end)
    data = build_training_data(tiny_tables, id_maps, t_val=t_val, t_end=t_end, params=params)
    assert len(data.train_sets) > 1
    for graph, labels in data.train_sets:
        # engagement and recruiter edges (a member and a job) end before the slice's first label;
        # a node created during the slice keeps only its attribute edges, as when embedded new
        first_label = pd.Timestamp(int(labels.at.min()), tz="UTC")
        for relation in MEMBER_JOB_RELATIONS:
            times = graph.relations[relation].times
            assert not len(times) or pd.Timestamp(int(times.max()), tz="UTC") < first_label
        assert graph.time <= first_label
    # the slices cover the labels before the validation slice, and nothing after it
    last = max(pd.Timestamp(int(lab.at.max()), tz="UTC") for _, lab in data.train_sets)
    assert last < t_val
