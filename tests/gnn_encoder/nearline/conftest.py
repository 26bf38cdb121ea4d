"""A real redis-server on a free loopback port, one per test that asks for it."""

from __future__ import annotations

import pytest

from tests.support.local_redis import local_redis_server


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


NEARLINE_CAP = 5


@pytest.fixture
def nearline_experiment(tmp_path, tiny_data_dir):
    """A tiny experiment with what the worker needs: config, data, a frozen (random) checkpoint
    with its ONNX ego encoders, and an applied Feast repo. Returns (config path, config)."""
    import yaml

    from gnn_encoder.checkpoint import save_checkpoint
    from gnn_encoder.decoders import make_decoder
    from linksage.config import parse_config
    from linksage.data.tables import read_tables
    from linksage.feature_store import apply_repo, ensure_repo, write_settings
    from tests.conftest import tiny_config_dict
    from tests.gnn_encoder.nearline.helpers import export_encoders, random_encoder, vocab

    raw = tiny_config_dict(tmp_path)
    raw["data"] = {"source": "directory", "directory": str(tiny_data_dir)}
    raw["gnn"]["neighbour_cap"] = NEARLINE_CAP
    raw["nearline"] = {"source": f"file:{tmp_path / 'events.jsonl'}", "max_batch": 16}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = parse_config(raw)
    tables = read_tables(tiny_data_dir, validate=False)
    id_maps = vocab(tables, cfg.windows.t_gnn_end)
    encoder = random_encoder(id_maps)
    gnn = cfg.output_dir / "gnn"
    kwargs = {
        "edge_types": encoder.edge_types,
        "feature_dims": {},
        "vocab_sizes": {},
        "hidden_dim": 8,
        "embedding_dim": 4,
        "aggregation": "mean",
    }
    from gnn_encoder.features import feature_dims
    from gnn_encoder.graph import ATTRIBUTE_TYPES

    kwargs["feature_dims"] = feature_dims(id_maps)
    kwargs["vocab_sizes"] = {t: id_maps.size(t) for t in ATTRIBUTE_TYPES}
    save_checkpoint(
        gnn / "checkpoint.pt",
        encoder=encoder,
        encoder_kwargs=kwargs,
        decoder=make_decoder("mlp", 4),
        decoder_name="mlp",
        id_maps=id_maps,
        top_skills=5,
        skill_nodes=True,
        neighbour_cap=NEARLINE_CAP,
        t_gnn_end=cfg.windows.t_gnn_end.isoformat(),
    )
    export_encoders(encoder, id_maps, gnn, NEARLINE_CAP)
    repo = ensure_repo(cfg.feast.repo_dir)
    write_settings(repo, ttl_days=30, embedding_dim=4)
    apply_repo(repo)
    return path, cfg
