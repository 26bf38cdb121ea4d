"""A real redis-server on a free loopback port, one per test that asks for it."""

from __future__ import annotations

import pytest

from gnn_encoder.nearline.local_redis import local_redis_server


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
