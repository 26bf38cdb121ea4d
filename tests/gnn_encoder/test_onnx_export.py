import numpy as np
import onnx
import pandas as pd
import pytest
import torch

from gnn_encoder.checkpoint import load_checkpoint
from gnn_encoder.ego import SnapshotLookup, build_ego_inputs
from gnn_encoder.features import feature_dims
from gnn_encoder.graph import ATTRIBUTE_TYPES, build_graph, edge_types
from gnn_encoder.id_maps import build_id_maps
from gnn_encoder.inference import embed_graph
from gnn_encoder.model import LinkSageEncoder
from gnn_encoder.onnx_export import export_ego_onnx, run_onnx
from linksage.cli.gnn import gnn_dir


def test_exported_onnx_matches_linksage_embed_on_500_nodes(tiny_run, tiny_tables):
    _, cfg = tiny_run
    ckpt = load_checkpoint(gnn_dir(cfg) / "checkpoint.pt")
    members = pd.read_parquet(cfg.feast.repo_dir / "data" / "member_embeddings.parquet")
    jobs = pd.read_parquet(cfg.feast.repo_dir / "data" / "job_embeddings.parquet")
    n = 0
    for s in (cfg.snapshot_times()[0], cfg.snapshot_times()[-1]):  # ~950 nodes in all
        s = pd.Timestamp(s)
        g = build_graph(
            tiny_tables,
            time=s,
            id_maps=ckpt.id_maps,
            top_skills=ckpt.top_skills,
            skill_nodes=ckpt.skill_nodes,
        )
        lk = SnapshotLookup(g.capped(ckpt.neighbour_cap))
        for target, table, key in (("member", members, "member_id"), ("job", jobs, "job_id")):
            rows = table[table["event_timestamp"] == s]
            ids = rows[key].to_numpy()
            inputs = build_ego_inputs(
                target, ids, lk, lk, cap=ckpt.neighbour_cap, skill_nodes=ckpt.skill_nodes
            )
            out = run_onnx(gnn_dir(cfg) / f"encoder_{target}.onnx", inputs)
            expected = np.stack(rows["embedding"].to_numpy())
            assert np.abs(out - expected).max() <= 1e-4
            n += len(ids)
    assert n >= 500


@pytest.mark.parametrize("aggregation", ["mean", "attention"])
def test_onnx_round_trip_both_aggregations(tmp_path, tiny_tables, aggregation):
    torch.manual_seed(0)
    t = pd.Timestamp("2026-01-29", tz="UTC")
    maps = build_id_maps(tiny_tables, before=t)
    g = build_graph(tiny_tables, time=t, id_maps=maps)
    dims = feature_dims(maps)
    enc = LinkSageEncoder(
        edge_types=list(edge_types()),
        feature_dims=dims,
        vocab_sizes={k: maps.size(k) for k in ATTRIBUTE_TYPES},
        hidden_dim=8,
        embedding_dim=4,
        aggregation=aggregation,
    )
    emb = embed_graph(enc, g, cap=4)
    path = export_ego_onnx(enc, tmp_path / "job.onnx", target_type="job", cap=4, feature_dims=dims)
    lk = SnapshotLookup(g.capped(4))
    out = run_onnx(path, build_ego_inputs("job", g.job_ids, lk, lk, cap=4))
    assert np.abs(out - emb["job"]).max() <= 1e-4
    spec = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert '"cap": 4' in spec["ego_spec"]
