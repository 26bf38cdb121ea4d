"""`linksage run` survives a crash: killed (SIGKILL, the whole process group) at random points of
a tiny run and run again, it ends with the report an uninterrupted run writes, without redoing
the stages that had completed; a change to the rankers section reruns only what reads it.

The runs are real `linksage run` processes on the tiny marketplace (one task, one seed, no
nearline ablation: about 2 minutes each on 2 shared cores). The pipeline is seeded end to end:
two uninterrupted runs write the same report.json but for `meta.run_dir` and, with the EBR task,
its retrieval latencies.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from linksage.cli.pipeline import STAGES
from linksage.cli.stage_records import RECORDS_DIR, slug
from tests.support.config import tiny_config_dict

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-c", "from linksage.cli.app import main; main()"]
SEED = 22  # draws where the run is killed: 2.4 s into train-gnn, then 10 s into the rankers
NAMES = [s.name for s in STAGES]


def _write_config(root: Path, **rankers) -> Path:
    raw = tiny_config_dict(root)
    raw["gnn"]["epochs"] = 1
    raw["rankers"].update({"tasks": ["jymbii"], "candidates_per_request": 20, **rankers})
    raw["evaluation"].update({"seeds": [0], "nearline_ablation": False, "bootstrap_samples": 100})
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(raw))
    return config


def _run(config: Path) -> subprocess.CompletedProcess:
    with open(config.parent / "log.txt", "a") as log:
        return subprocess.run(
            [*CLI, "run", "--config", str(config)], cwd=ROOT, stdout=log, stderr=log, timeout=900
        )


def _varies(key: str) -> bool:
    """A report.json key that differs between two uninterrupted runs: the run directory, and
    timings (EBR's retrieval latencies `details.ebr.rules.*.p50_ms`, `p99_ms`; none other now)."""
    return key == "run_dir" or key.endswith("_ms") or "seconds" in key


def _report(root: Path) -> dict:
    """report.json less the keys that vary between two uninterrupted runs."""

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if not _varies(k)}
        return [strip(v) for v in node] if isinstance(node, list) else node

    return strip(json.loads((root / "run" / "evaluation" / "report.json").read_text()))


def _completed(root: Path) -> dict[str, int]:
    """Stage -> mtime_ns of its record, for the stages whose record is complete."""
    done = {}
    for name in NAMES:
        path = root / "run" / RECORDS_DIR / f"{slug(name)}.json"
        try:
            if json.loads(path.read_text())["complete"]:
                done[name] = path.stat().st_mtime_ns
        except FileNotFoundError:
            pass
    return done


def _statuses(root: Path) -> dict[str, str]:
    rows = json.loads((root / "run" / "stages.json").read_text())
    return {row["stage"]: row["status"] for row in rows}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[Path, dict]:
    """A tiny run from start to end, and its report (kept apart: a test may rerun the run)."""
    root = tmp_path_factory.mktemp("uninterrupted")
    config = _write_config(root)
    assert _run(config).returncode == 0, (root / "log.txt").read_text()[-3000:]
    assert set(_statuses(root).values()) == {"ran"}
    return root, _report(root)


def _kill_after(config: Path, completed: int, delay_s: float, check_lock: bool) -> None:
    """Start `linksage run`; once `completed` stages are complete and `delay_s` more seconds have
    passed, SIGKILL its process group (the run, its stage process, ranker runs, fork server)."""
    root = config.parent
    with open(root / "log.txt", "a") as log:
        run = subprocess.Popen(
            [*CLI, "run", "--config", str(config)],
            cwd=ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600
        while len(_completed(root)) < completed and run.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert run.poll() is None, "the run ended before it could be killed"
        if check_lock:  # a second run on the same directory meanwhile is refused
            second = subprocess.run(
                [*CLI, "run", "--config", str(config)], cwd=ROOT, capture_output=True, text=True
            )
            assert second.returncode == 4
            assert f"is in use by another `linksage run` (pid {run.pid})" in second.stderr
        time.sleep(delay_s)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()


def test_a_run_killed_twice_then_rerun_writes_the_uninterrupted_report(tmp_path, uninterrupted):
    _, expected = uninterrupted
    config = _write_config(tmp_path)
    rng = random.Random(SEED)
    # killed twice: once in the first stages, once later; each a random delay after a boundary
    first = rng.randrange(1, 7)
    kills = [(first, rng.uniform(0, 10)), (rng.randrange(first + 1, 9), rng.uniform(0, 10))]
    for i, (completed, delay_s) in enumerate(kills):
        before = _completed(tmp_path)
        _kill_after(config, completed, delay_s, check_lock=i == 0)
        after = _completed(tmp_path)
        # a stage complete before this attempt was not redone by it
        assert {n: after.get(n) for n in before} == before
        assert len(after) >= completed
    killed_with = _completed(tmp_path)
    assert _run(config).returncode == 0, (tmp_path / "log.txt").read_text()[-3000:]
    statuses = _statuses(tmp_path)
    assert list(statuses) == NAMES  # every stage is listed, the reused ones too
    assert {n for n, s in statuses.items() if s == "reused"} == set(killed_with)
    assert {n: _completed(tmp_path)[n] for n in killed_with} == killed_with
    assert _report(tmp_path) == expected


def test_a_change_to_the_rankers_section_reruns_only_the_rankers_and_the_evaluation(
    uninterrupted,
):
    root, _ = uninterrupted
    before = _completed(root)
    run_config = root / "run" / "rankers" / "jymbii" / "gnn" / "seed0" / "config.yaml"
    assert yaml.safe_load(run_config.read_text())["rankers"]["epochs"] == 1
    assert _run(_write_config(root, epochs=2)).returncode == 0

    statuses = _statuses(root)
    ran = [n for n, s in statuses.items() if s == "ran"]
    assert ran == ["rankers", "evaluate"]  # the nearline ablation is off in this config
    assert {n: _completed(root)[n] for n in NAMES if n not in ran} == {
        n: before[n] for n in NAMES if n not in ran
    }
    assert yaml.safe_load(run_config.read_text())["rankers"]["epochs"] == 2  # retrained
