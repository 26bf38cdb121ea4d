"""Durable key-value stores behind the nearline graph state: Redis, or SQLite (file or memory).

The state needs little: read many keys at once, read sets, and commit a batch of writes (values,
set additions and removals) atomically. Redis does that with MULTI/EXEC, SQLite with one
transaction; `SqliteBackend(":memory:")` is the in-memory store of the embedded default.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol


class KeyValueBackend(Protocol):
    """Byte values and string sets, committed atomically."""

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...

    def set_members(self, keys: Sequence[str]) -> list[set[str]]: ...

    def commit(
        self,
        puts: dict[str, bytes],
        set_add: dict[str, Iterable[str]] | None = None,
        set_remove: dict[str, Iterable[str]] | None = None,
    ) -> None: ...

    def lock(self, name: str = "state") -> contextlib.AbstractContextManager:
        """Held while a worker commits a batch ("state") or writes the online store ("write")."""
        ...

    def close(self) -> None: ...


_CHANGES = "changes"  # stream of the keys each shared-state commit wrote
_LOG_LEN = 100_000  # entries kept: a worker idle for longer re-reads everything


def _stream_id(entry_id: bytes) -> tuple[int, int]:
    ms, _, seq = entry_id.partition(b"-")
    return int(ms), int(seq or 0)


class RedisBackend:
    """Keys under `prefix` in a Redis database; a commit is one MULTI/EXEC transaction."""

    def __init__(self, client: Any, prefix: str = "linksage:state:", lock_timeout_s: float = 10.0):
        self.client = client  # redis.Redis (bytes responses)
        self.prefix = prefix
        self.lock_timeout_s = lock_timeout_s

    @contextlib.contextmanager
    def lock(self, name: str = "state"):
        """redis-py's lock (SET NX PX with a token) named `name` ("state": a batch's commit;
        "write": the online store write). It expires after `lock_timeout_s`, so a worker killed
        while holding it blocks the others that long at most; what it guards takes milliseconds.
        A lock that expired and was taken by another worker is left to that worker."""
        from redis.exceptions import LockNotOwnedError

        key = self.prefix + "lock" + ("" if name == "state" else f":{name}")
        lock = self.client.lock(key, timeout=self.lock_timeout_s, sleep=0.0002)
        lock.acquire()
        try:
            yield
        finally:
            with contextlib.suppress(LockNotOwnedError):
                lock.release()

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        return self.client.mget([self.prefix + k for k in keys])

    def set_members(self, keys: Sequence[str]) -> list[set[str]]:
        pipe = self.client.pipeline(transaction=False)
        for k in keys:
            pipe.smembers(self.prefix + k)
        return [{m.decode() if isinstance(m, bytes) else m for m in r} for r in pipe.execute()]

    def commit(self, puts, set_add=None, set_remove=None, log: bool = False) -> bytes | None:
        """One MULTI/EXEC. `log`: also append the written keys to the change log (in the same
        transaction) and return the entry's id (see `changes_since`)."""
        pipe = self.client.pipeline(transaction=True)
        if log and puts:
            pipe.xadd(self.prefix + _CHANGES, {"keys": "\n".join(puts)}, maxlen=_LOG_LEN)
        if puts:
            pipe.mset({self.prefix + k: v for k, v in puts.items()})
        for k, members in (set_add or {}).items():
            if members := list(members):
                pipe.sadd(self.prefix + k, *members)
        for k, members in (set_remove or {}).items():
            if members := list(members):
                pipe.srem(self.prefix + k, *members)
        done = pipe.execute()
        return done[0] if log and puts else None

    def changes_since(
        self, after: bytes | None
    ) -> tuple[bytes, list[tuple[bytes, list[str]]] | None]:
        """(the change log's newest id, the entries after `after`); the entries are None when
        unknown: no `after` yet, or entries after it were trimmed from the log (then a reader
        must forget everything it cached)."""
        key = self.prefix + _CHANGES
        newest = self.client.xrevrange(key, count=1)
        latest = newest[0][0] if newest else b"0-0"
        if after is None:
            return latest, None
        entries = self.client.xrange(key, min=b"(" + after, max=latest) if latest != after else []
        oldest = self.client.xrange(key, count=1)
        # `after` itself trimmed (or, from an empty log, a full log): entries may be missing
        lost = bool(oldest) and _stream_id(oldest[0][0]) > _stream_id(after)
        if lost and (after != b"0-0" or self.client.xlen(key) >= _LOG_LEN):
            return latest, None
        return latest, [(i, f[b"keys"].decode().split("\n")) for i, f in entries]

    def close(self) -> None:
        self.client.close()


class SqliteBackend:
    """Two tables (values, set members) in a SQLite file, or in memory with ":memory:"."""

    def __init__(self, path: Path | str = ":memory:"):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID"
        )
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS sets (k TEXT, m TEXT, PRIMARY KEY (k, m)) WITHOUT ROWID"
        )

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        found: dict[str, bytes] = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for k, v in self.conn.execute(f"SELECT k, v FROM kv WHERE k IN ({marks})", chunk):
                found[k] = v
        return [found.get(k) for k in keys]

    def set_members(self, keys: Sequence[str]) -> list[set[str]]:
        out = []
        for k in keys:
            out.append({m for (m,) in self.conn.execute("SELECT m FROM sets WHERE k = ?", (k,))})
        return out

    def commit(self, puts, set_add=None, set_remove=None) -> None:
        with self.conn:  # one transaction
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", puts.items())
            # one statement per kind for the whole batch, not one per key
            self.conn.executemany(
                "INSERT OR IGNORE INTO sets VALUES (?, ?)",
                ((k, m) for k, members in (set_add or {}).items() for m in members),
            )
            self.conn.executemany(
                "DELETE FROM sets WHERE k = ? AND m = ?",
                ((k, m) for k, members in (set_remove or {}).items() for m in members),
            )

    def lock(self, name: str = "state"):
        """No lock: a SQLite state belongs to one worker process (file sources have one reader)."""
        return contextlib.nullcontext()

    def close(self) -> None:
        self.conn.close()
