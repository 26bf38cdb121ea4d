"""One `linksage run` per output directory: a second one is refused at once with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from linksage.cli.run_lock import OutputDirectoryBusy, output_dir_lock
from tests.support.config import tiny_config_dict

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-c", "from linksage.cli.app import main; main()"]


def test_a_second_holder_is_refused_and_the_lock_ends_with_its_holder(tmp_path):
    with output_dir_lock(tmp_path / "out") as lock:
        assert lock.read_text().strip() == str(os.getpid())
        busy = rf"in use by .*\(pid {os.getpid()}\)"
        with pytest.raises(OutputDirectoryBusy, match=busy), output_dir_lock(tmp_path / "out"):
            pass
    with output_dir_lock(tmp_path / "out"):  # released: a new run gets it
        pass


def test_linksage_run_on_a_directory_in_use_exits_with_one_line(tmp_path):
    raw = tiny_config_dict(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw))
    out = Path(raw["output_dir"])
    with output_dir_lock(out):  # what a running `linksage run` holds
        done = subprocess.run(
            [*CLI, "run", "--config", str(config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == OutputDirectoryBusy.exit_code == 4
    assert done.stderr.strip() == (
        f"error: {out} is in use by another `linksage run` (pid {os.getpid()}); wait for it to "
        "end, or give this run another output_dir"
    )
    assert not (out / "stage_records").exists()  # it wrote nothing
