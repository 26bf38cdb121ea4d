import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gnn_encoder.checkpoint import load_checkpoint
from gnn_encoder.embed import embed_snapshots
from linksage.cli.gnn import gnn_dir


def test_embed_output_schema_and_rows(tiny_run, tiny_tables):
    _, cfg = tiny_run
    d = cfg.gnn.embedding_dim
    version = load_checkpoint(gnn_dir(cfg) / "checkpoint.pt").model_version
    snaps = [pd.Timestamp(s) for s in cfg.snapshot_times()]
    for name, key, table, created in (
        ("member", "member_id", tiny_tables.members, "created_at"),
        ("job", "job_id", tiny_tables.jobs, "posted_at"),
    ):
        t = pq.read_table(cfg.feast.repo_dir / "data" / f"{name}_embeddings.parquet")
        assert t.schema.field(key).type == pa.int64()
        assert t.schema.field("embedding").type == pa.list_(pa.float32())
        assert t.schema.field("event_timestamp").type == pa.timestamp("us", tz="UTC")
        assert t.schema.field("model_version").type == pa.string()
        df = t.to_pandas()
        assert set(df["model_version"]) == {version}
        assert (df["embedding"].map(len) == d).all()
        assert not df.duplicated([key, "event_timestamp"]).any()
        assert sorted(df["event_timestamp"].unique()) == snaps
        for s in (snaps[0], snaps[-1]):  # exactly the entities that exist at s
            expected = set(table.loc[table[created] < s, key])
            assert set(df.loc[df["event_timestamp"] == s, key]) == expected


def test_manifest_max_edge_time_before_each_snapshot_and_onnx_written(tiny_run):
    _, cfg = tiny_run
    manifest = json.loads((gnn_dir(cfg) / "embeddings_manifest.json").read_text())
    assert manifest["leaky_full_graph"] is False
    assert len(manifest["snapshots"]) == len(cfg.snapshot_times())
    for snap in manifest["snapshots"]:
        assert pd.Timestamp(snap["max_edge_time"]) < pd.Timestamp(snap["time"])
    assert (gnn_dir(cfg) / "encoder_member.onnx").stat().st_size > 0
    assert (gnn_dir(cfg) / "encoder_job.onnx").stat().st_size > 0
    # the id maps file beside them: what the nearline worker reads instead of the checkpoint
    from gnn_encoder.checkpoint import load_checkpoint
    from nearline.artifacts import load_artifacts

    ckpt = load_checkpoint(gnn_dir(cfg) / "checkpoint.pt")
    art = load_artifacts(gnn_dir(cfg))
    assert art.model_version == ckpt.model_version == manifest["model_version"]
    assert art.top_skills == ckpt.top_skills
    assert art.id_maps.to_dict() == ckpt.id_maps.to_dict()


def test_new_job_gets_nonzero_embedding_in_the_first_snapshot_after_posting(tiny_run, tiny_tables):
    _, cfg = tiny_run
    jobs = tiny_tables.jobs
    t_gnn_end = pd.Timestamp(cfg.windows.t_gnn_end)
    new = jobs[jobs["posted_at"] >= t_gnn_end].sort_values("posted_at")
    assert len(new)
    emb = pd.read_parquet(cfg.feast.repo_dir / "data" / "job_embeddings.parquet")
    job = new.iloc[0]
    rows = emb[emb["job_id"] == job["job_id"]].sort_values("event_timestamp")
    assert rows["event_timestamp"].iloc[0] > job["posted_at"]
    vec = np.asarray(rows["embedding"].iloc[0])
    assert np.abs(vec).sum() > 0


def test_leaky_full_graph_is_flagged_and_visible_in_max_edge_time(
    tiny_run, tiny_tables, tmp_path, capsys
):
    _, cfg = tiny_run
    snaps = cfg.snapshot_times()[:2]
    manifest = embed_snapshots(
        tables=tiny_tables,
        checkpoint_path=gnn_dir(cfg) / "checkpoint.pt",
        snapshot_times=snaps,
        repo_data_dir=tmp_path / "repo",
        gnn_dir=tmp_path / "gnn",
        leaky_full_graph=True,
        full_graph_end=cfg.windows.t_test_end,
        export_onnx=False,
        progress=False,
    )
    assert "LEAKY" in capsys.readouterr().err
    assert manifest["leaky_full_graph"] is True
    first = manifest["snapshots"][0]
    assert pd.Timestamp(first["max_edge_time"]) >= pd.Timestamp(first["time"])  # the audit's signal


def test_the_decoder_is_written_beside_the_embeddings_it_scores(tiny_run):
    """The rankers' decoder integration reads the GNN's own decoder from the repo."""
    import torch

    from linksage.feature_store.decoder import read_decoder

    _, cfg = tiny_run
    ckpt = load_checkpoint(gnn_dir(cfg) / "checkpoint.pt")
    decoder = read_decoder(cfg.feast.repo_dir)
    assert decoder is not None and decoder.model_version == ckpt.model_version
    emb = pd.read_parquet(cfg.feast.repo_dir / "data" / "member_embeddings.parquet")
    jobs = pd.read_parquet(cfg.feast.repo_dir / "data" / "job_embeddings.parquet")
    m = np.stack(emb["embedding"].head(8)).astype(np.float32)
    j = np.stack(jobs["embedding"].head(8)).astype(np.float32)
    with torch.no_grad():
        expected = ckpt.decoder(torch.from_numpy(m), torch.from_numpy(j)).numpy()
    np.testing.assert_allclose(decoder.logits(m, j), expected, rtol=1e-4, atol=1e-5)
