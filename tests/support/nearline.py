"""Nearline fixtures and helpers: a real redis-server on a free loopback port (one per test that
asks for it), a tiny experiment with a frozen random checkpoint and its ONNX ego encoders, and the
batch embeddings the nearline path must reproduce.

The fixtures are function-scoped: import them into the conftest of a directory that uses them."""

from __future__ import annotations

import pytest
import yaml

from tests.support.config import tiny_directory_config_dict
from tests.support.local_redis import local_redis_server

NEARLINE_CAP = 5


def vocab(tables, before):
    """The id maps of `tables` before `before`."""
    import pandas as pd

    from gnn_encoder.id_maps import build_id_maps

    return build_id_maps(tables, before=pd.Timestamp(before))


def export_encoders(encoder, id_maps, directory, cap: int):
    """The ONNX ego encoders of `encoder` written into `directory`, loaded (EgoEncoders)."""
    from nearline.encoders import EgoEncoders
    from tests.support.random_checkpoint import export_ego_encoders

    paths = export_ego_encoders(encoder, id_maps, directory, cap)
    return EgoEncoders(paths["member"], paths["job"])


def batch_embeddings(encoder, tables, id_maps, *, time, cap: int) -> dict:
    """{(type, id): vector} as `linksage embed` computes them for the snapshot at `time`."""
    from gnn_encoder.graph import build_graph
    from gnn_encoder.inference import embed_graph

    graph = build_graph(tables, time=time, id_maps=id_maps, top_skills=5)
    emb = embed_graph(encoder, graph, cap=cap)
    out = {("member", int(i)): v for i, v in zip(graph.member_ids, emb["member"], strict=True)}
    out |= {("job", int(i)): v for i, v in zip(graph.job_ids, emb["job"], strict=True)}
    return out


def fresh_state(tables, id_maps, *, time, cap: int, backend=None):
    """A GraphState bootstrapped from `tables` at `time` (in-memory SQLite unless `backend`)."""
    from nearline.backends import SqliteBackend
    from nearline.service import bootstrap_state
    from nearline.state import GraphState

    state = GraphState(backend or SqliteBackend(":memory:"), cap=cap)
    bootstrap_state(state, tables, time=time, id_maps=id_maps, top_skills=5, info={})
    return state


@pytest.fixture
def redis_server(tmp_path):
    """(host, port) of a fresh redis-server (no persistence), stopped after the test."""
    with local_redis_server(tmp_path) as address:
        yield address


@pytest.fixture
def redis_client(redis_server):
    """A decode_responses client to the fixture server."""
    import redis

    host, port = redis_server
    client = redis.Redis(host=host, port=port, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def nearline_experiment(tmp_path, tiny_data_dir):
    """A tiny experiment with what the worker needs: config, data, a frozen (random) checkpoint
    with its ONNX ego encoders, and an applied Feast repo. Returns (config path, config)."""
    from linksage.config import parse_config
    from linksage.data.tables import read_tables
    from linksage.feature_store import apply_repo, ensure_repo, write_settings
    from tests.support.random_checkpoint import export_ego_encoders, save_random_checkpoint

    raw = tiny_directory_config_dict(tmp_path, tiny_data_dir)
    raw["gnn"]["neighbour_cap"] = NEARLINE_CAP
    raw["nearline"] = {"source": f"file:{tmp_path / 'events.jsonl'}", "max_batch": 16}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = parse_config(raw)
    tables = read_tables(tiny_data_dir, validate=False)
    id_maps = vocab(tables, cfg.windows.t_gnn_end)
    gnn = cfg.output_dir / "gnn"
    encoder = save_random_checkpoint(
        gnn / "checkpoint.pt",
        id_maps,
        neighbour_cap=NEARLINE_CAP,
        t_gnn_end=cfg.windows.t_gnn_end,
    )
    from gnn_encoder.checkpoint import model_version

    version = model_version(gnn / "checkpoint.pt")
    export_ego_encoders(encoder, id_maps, gnn, NEARLINE_CAP, model_version=version)
    repo = ensure_repo(cfg.feast.repo_dir)
    write_settings(repo, ttl_days=30, embedding_dim=4)
    apply_repo(repo)
    return path, cfg
