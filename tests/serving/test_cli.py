"""`linksage serve` refuses bad options and a config without trained runs with one clean line
naming the option and a non-zero exit (no traceback)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from linksage.cli.app import app


@pytest.fixture
def config_file(tiny_config, tmp_path):
    path = tmp_path / "config.yaml"
    tiny_config.save(path)
    return path


@pytest.mark.parametrize(
    ("args", "says", "code"),
    [
        (["--port", "70000"], "--port 70000: expected 1..65535", 2),
        (["--run-dir", "/no/such/dir"], "--run-dir /no/such/dir: not a directory", 2),
        ([], "no trained run of arm gnn seed 0", 2),
    ],
)
def test_serve_refuses_with_a_clean_message(config_file, args, says, code):
    result = CliRunner().invoke(app, ["serve", "--config", str(config_file), *args])
    assert result.exit_code == code, result.output
    assert says in result.output and "Traceback" not in result.output


def test_serve_config_section_is_validated(tmp_path):
    from linksage.config import parse_config
    from linksage.errors import ConfigError
    from tests.support.config import tiny_config_dict

    raw = tiny_config_dict(tmp_path)
    raw["serving"] = {"refresh_interval_s": 10, "max_staleness_s": 5}
    with pytest.raises(ConfigError, match="serving: max_staleness_s .* at least refresh_interval"):
        parse_config(raw)
    raw["serving"] = {"tasks": ["nope"]}
    with pytest.raises(ConfigError, match="serving.tasks"):
        parse_config(raw)


def test_linksage_serve_answers_with_two_worker_processes(
    ranker_experiment, serving_runs, tmp_path
):
    """The command itself, as a user starts it (SQLite store, `serving.workers: 2`: the workers'
    factory path): ready, then answering; stopped by SIGTERM."""
    import subprocess
    import sys
    import time

    from linksage.config import parse_config
    from tests.support.local_redis import free_port
    from tests.support.serving import call

    cfg, tables = ranker_experiment
    raw = cfg.model_dump(mode="json")
    raw["serving"] = {"workers": 2, "tasks": ["ebr"]}
    path = tmp_path / "serve.yaml"
    parse_config(raw).save(path)
    port = free_port()
    code = "from linksage.cli.app import main; main()"
    args = [sys.executable, "-c", code, "serve", "--config", str(path), "--port", str(port)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if call(f"{url}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "linksage serve did not become ready"
            time.sleep(0.2)
        jobs = tables.jobs["job_id"].head(5).tolist()
        member = int(tables.members["member_id"].iloc[3])
        for _ in range(4):
            status, out = call(
                f"{url}/rank", {"member_id": member, "task": "ebr", "candidates": jobs}
            )
            assert status == 200 and len(out["jobs"]) == 5, out
    finally:
        proc.terminate()
        proc.wait(timeout=30)
