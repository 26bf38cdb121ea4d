"""Serving fixtures: the runs the service scores (jymbii and ebr, gnn arm, seed 0, trained once
per session on the ranker experiment), a redis-server that a test can stop and start again on
the same port (its data kept), and the service itself on a loopback port in a thread."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.local_redis import free_port

SERVED_TASKS = ("jymbii", "ebr")


@pytest.fixture(scope="session")
def serving_runs(ranker_experiment) -> dict[str, Path]:
    """{task: run_dir}: jymbii and ebr, gnn arm, seed 0 (one short epoch each)."""
    from linksage.cli.rankers import train_ranker_from_config

    cfg, tables = ranker_experiment
    return {
        task: train_ranker_from_config(cfg, task, "gnn", 0, tables=tables, progress=False)
        for task in SERVED_TASKS
    }


class RedisProcess:
    """A redis-server on a fixed loopback port that can be stopped (saving its data) and
    started again: the online store going away and coming back."""

    def __init__(self, directory: Path):
        self.directory, self.port = Path(directory), free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def connection_string(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        import redis

        args = [shutil.which("redis-server") or "redis-server", "--port", str(self.port)]
        args += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self.directory), "--dbfilename", "dump.rdb"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client, deadline = redis.Redis(host="127.0.0.1", port=self.port), time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on {self.port}") from None
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        """SAVE, then SIGTERM: the data is in dump.rdb, which the next start loads. (SHUTDOWN
        SAVE would too, but redis-py retries the command on the connection it closes: 5-8 s.)"""
        import redis

        if self.proc is None:
            return
        client = redis.Redis(host="127.0.0.1", port=self.port)
        client.save()
        client.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc = None


@contextmanager
def redis_process(directory: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(directory)
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None:
            server.proc.terminate()
            server.proc.wait(timeout=10)


@contextmanager
def service_thread(app) -> Iterator[str]:
    """Run an ASGI app with uvicorn on a free loopback port in a thread; yield its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def call(url: str, body: bytes | dict | None = None) -> tuple[int, dict | str]:
    """GET (no body) or POST `url`; (status, JSON body, or text when not JSON)."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text
