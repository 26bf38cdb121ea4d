"""Sources: Redis consumer group redelivery, file offsets and dead letters."""

from __future__ import annotations

import json

import pytest

from linksage.errors import ConfigError
from nearline.sources import (
    FileSource,
    MemorySource,
    RedisStreamSource,
    parse_source_uri,
    publish_redis,
)


def test_redis_unacked_entries_are_redelivered_to_a_restarted_consumer(redis_client):
    for i in range(5):
        publish_redis(redis_client, "ev", json.dumps({"i": i}))
    first = RedisStreamSource(redis_client, "ev")
    got = first.read(count=3, block_ms=10)
    assert [json.loads(d.payload["event"])["i"] for d in got] == [0, 1, 2]
    first.ack(got[:2])  # "dies" before acknowledging the third

    again = RedisStreamSource(redis_client, "ev")  # same group and consumer name
    redelivered = again.read(count=10, block_ms=10)
    assert [json.loads(d.payload["event"])["i"] for d in redelivered] == [2]
    again.ack(redelivered)
    rest = again.read(count=10, block_ms=10)
    assert [json.loads(d.payload["event"])["i"] for d in rest] == [3, 4]
    assert rest[0].published_at is not None
    assert [d.position for d in rest] == sorted(d.position for d in rest)
    again.ack(rest)
    assert again.read(count=10, block_ms=10) == []
    assert redis_client.xpending("ev", "linksage-nearline")["pending"] == 0


def test_redis_dead_letter_keeps_reason_and_acks(redis_client):
    publish_redis(redis_client, "ev", "{broken")
    source = RedisStreamSource(redis_client, "ev")
    (d,) = source.read(count=1, block_ms=10)
    source.dead_letter(d, "event is not valid JSON")
    (entry,) = redis_client.xrange("ev:deadletter")
    assert entry[1]["reason"] == "event is not valid JSON"
    assert entry[1]["source_id"] == d.id
    assert redis_client.xpending("ev", "linksage-nearline")["pending"] == 0


def test_file_source_resumes_after_acknowledged_lines_and_follows(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n{"a": 3}\n{"a": 4')  # last line still being written
    source = FileSource(path)
    got = source.read(count=10, block_ms=0)
    assert [d.payload for d in got] == ['{"a": 1}', '{"a": 2}', '{"a": 3}']
    source.ack(got[:2])
    source.dead_letter(got[2], "bad")
    source.close()
    assert json.loads((tmp_path / "events.jsonl.deadletter.jsonl").read_text())["reason"] == "bad"

    with path.open("a") as f:
        f.write("}\n")
    restarted = FileSource(path)
    got = restarted.read(count=10, block_ms=0)
    assert [d.payload for d in got] == ['{"a": 4}']
    assert got[0].position == (5, 0)


def test_memory_source():
    source = MemorySource(["a", "b", "c"])
    assert [d.payload for d in source.read(2, 0)] == ["a", "b"]
    assert [d.payload for d in source.read(2, 0)] == ["c"]
    assert source.read(2, 0) == []


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "redis://10.0.0.1:6390/events",
            ("redis", {"host": "10.0.0.1", "port": 6390, "stream": "events"}),
        ),
        (
            "redis://localhost/events",
            ("redis", {"host": "localhost", "port": 6379, "stream": "events"}),
        ),
    ],
)
def test_parse_source_uri(uri, expected):
    assert parse_source_uri(uri) == expected


@pytest.mark.parametrize("uri", ["redis://localhost:6379", "kafka://x", "file:"])
def test_parse_source_uri_refuses_bad_uris(uri):
    with pytest.raises(ConfigError, match="--source"):
        parse_source_uri(uri)
