"""Where nearline events come from: Redis Streams (production) or a file / in-process queue.

Every source hands out `Delivery`s in order, each with a comparable `position`, and takes back
acknowledgements and dead letters. A delivery that is never acknowledged (the worker died) is
delivered again when the worker restarts; the state store's "last applied" position is what
keeps such a redelivery from being applied twice.

- `RedisStreamSource`: a consumer group on one stream (XREADGROUP / XACK); the worker's own
  pending entries are re-read first on restart; dead letters go to `<stream>:deadletter`.
- `FileSource`: a JSON-lines file; acknowledged lines are recorded in `<file>.offset`; dead
  letters are appended to `<file>.deadletter.jsonl`.
- `MemorySource`: an in-process list, for embedding the worker in another program.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from linksage.errors import ConfigError
from linksage.io import atomic_write_text

Position = tuple[int, int]  # comparable place of a delivery in its source


@dataclass(frozen=True)
class Delivery:
    """One event as delivered: its source id, comparable position and raw payload."""

    id: str
    position: Position
    payload: Any
    published_at: float | None = None  # wall-clock seconds when it was published, if known


class EventSource(Protocol):
    """What the worker needs from a source of events."""

    def read(self, count: int, block_ms: int) -> list[Delivery]:
        """Up to `count` deliveries, waiting up to `block_ms` for the first; [] when idle."""

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Mark deliveries as done; they will not be delivered again."""

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Set aside a malformed delivery with the reason (and acknowledge it)."""

    def close(self) -> None: ...


# ---- Redis Streams -------------------------------------------------------------------------


def _stream_position(entry_id: str) -> Position:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class RedisStreamSource:
    """A consumer in a Redis Streams consumer group.

    On the first read it claims entries left pending by a dead consumer of the same name (its own
    earlier life) and re-reads them before asking for new ones (`>`).
    """

    client: Any  # redis.Redis with decode_responses=True
    stream: str
    group: str = "linksage-nearline"
    consumer: str = "worker-1"
    _pending_done: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        import redis

        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    @property
    def dead_letter_stream(self) -> str:
        return f"{self.stream}:deadletter"

    def read(self, count: int, block_ms: int) -> list[Delivery]:
        if not self._pending_done:
            entries = self._xreadgroup("0", count, None)
            if entries:
                return entries
            self._pending_done = True
        return self._xreadgroup(">", count, block_ms or None)

    def _xreadgroup(self, start: str, count: int, block_ms: int | None) -> list[Delivery]:
        reply = self.client.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=count, block=block_ms
        )
        out = []
        for _, entries in reply or []:
            for entry_id, fields in entries:
                published = fields.get("published_at") if fields else None
                out.append(
                    Delivery(
                        id=entry_id,
                        position=_stream_position(entry_id),
                        payload=fields,  # None when the entry was deleted (XDEL) meanwhile
                        published_at=float(published) if published else None,
                    )
                )
        return out

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            self.client.xack(self.stream, self.group, *[d.id for d in deliveries])

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        payload = delivery.payload
        body = json.dumps(payload) if not isinstance(payload, str) else payload
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(
            self.dead_letter_stream,
            {"source_id": delivery.id, "reason": reason, "payload": body},
        )
        pipe.xack(self.stream, self.group, delivery.id)
        pipe.execute()

    def close(self) -> None:
        self.client.close()


def publish_redis(client: Any, stream: str, payload: str) -> str:
    """Append one event (JSON text) to a stream, stamped with the wall-clock publish time."""
    return client.xadd(stream, {"event": payload, "published_at": repr(time.time())})


# ---- file and in-process -------------------------------------------------------------------


@dataclass
class FileSource:
    """A JSON-lines file of events; `follow=True` waits for lines appended later (tail -f)."""

    path: Path
    follow: bool = False
    _line: int = field(default=0, init=False)
    _handle: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.exists():
            raise ConfigError(f"{self.path}: event file not found")
        self._acked = self._read_offset()

    @property
    def offset_path(self) -> Path:
        return self.path.with_name(self.path.name + ".offset")

    @property
    def dead_letter_path(self) -> Path:
        return self.path.with_name(self.path.name + ".deadletter.jsonl")

    def _read_offset(self) -> int:
        if not self.offset_path.exists():
            return 0
        text = self.offset_path.read_text().strip()
        if not text.isdigit():
            raise ConfigError(f"{self.offset_path}: corrupt offset file (expected a line count)")
        return int(text)

    def read(self, count: int, block_ms: int) -> list[Delivery]:
        if self._handle is None:
            self._handle = self.path.open("r", encoding="utf-8", errors="replace")
            for _ in range(self._acked):  # skip what was acknowledged before a restart
                if not self._handle.readline():
                    break
                self._line += 1
        out: list[Delivery] = []
        deadline = time.monotonic() + block_ms / 1000
        while len(out) < count:
            where = self._handle.tell()
            line = self._handle.readline()
            if not line.endswith("\n"):  # end of file, or a line still being written
                self._handle.seek(where)
                if out or not self.follow or time.monotonic() >= deadline:
                    break
                time.sleep(0.01)
                continue
            self._line += 1
            if line.strip():
                out.append(Delivery(str(self._line), (self._line, 0), line.rstrip("\n")))
        return out

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            self._acked = max(self._acked, max(d.position[0] for d in deliveries))
            atomic_write_text(self.offset_path, f"{self._acked}\n")

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        record = {"source_id": delivery.id, "reason": reason, "payload": delivery.payload}
        with self.dead_letter_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        self.ack([delivery])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


@dataclass
class MemorySource:
    """An in-process list of payloads (JSON strings or dicts); dead letters are kept in a list."""

    payloads: list[Any]
    dead_letters: list[tuple[Delivery, str]] = field(default_factory=list)
    acked: int = 0
    _next: int = field(default=0, init=False)

    def extend(self, payloads: Iterable[Any]) -> None:
        self.payloads.extend(payloads)

    def read(self, count: int, block_ms: int) -> list[Delivery]:
        start, stop = self._next, min(self._next + count, len(self.payloads))
        self._next = stop
        return [Delivery(str(i + 1), (i + 1, 0), self.payloads[i]) for i in range(start, stop)]

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            self.acked = max(self.acked, max(d.position[0] for d in deliveries))

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        self.dead_letters.append((delivery, reason))
        self.ack([delivery])

    def close(self) -> None:
        pass


def parse_source_uri(uri: str) -> tuple[str, dict[str, Any]]:
    """Split `redis://HOST:PORT/STREAM` or `file:PATH` into (kind, arguments)."""
    if uri.startswith("file:"):
        path = uri.removeprefix("file:")
        if not path:
            raise ConfigError(f"--source {uri!r}: file: needs a path, e.g. file:events.jsonl")
        return "file", {"path": Path(path)}
    if uri.startswith("redis://"):
        parsed = urlparse(uri)
        stream = parsed.path.lstrip("/")
        if not parsed.hostname or not stream:
            raise ConfigError(
                f"--source {uri!r}: expected redis://HOST:PORT/STREAM, e.g. "
                "redis://localhost:6379/linksage-events"
            )
        return "redis", {"host": parsed.hostname, "port": parsed.port or 6379, "stream": stream}
    raise ConfigError(f"--source {uri!r}: expected redis://HOST:PORT/STREAM or file:PATH")
