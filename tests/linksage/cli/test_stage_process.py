"""A stage run in its own process: its result, its own peak memory, and its failures come back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from linksage.cli.stage_process import StageProcessDied, run_in_own_process
from linksage.cli.stage_table import peak_rss_bytes
from linksage.errors import InsufficientDataError

_MIB = 2**20
ROOT = Path(__file__).resolve().parents[3]


def _allocate(mib: int) -> int:
    block = np.ones(mib * _MIB // 8)  # touched, so resident
    return int(block.size)


def _fail(message: str) -> None:
    raise InsufficientDataError(message)


def _killed(_: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_the_result_and_the_stage_process_peak_come_back_and_the_memory_stays_there():
    before = peak_rss_bytes()
    outcome = run_in_own_process(_allocate, 400, name="allocate")
    assert outcome.result == 400 * _MIB // 8
    assert outcome.peak_rss_bytes >= 400 * _MIB
    assert peak_rss_bytes() - before < 100 * _MIB  # the parent never held the block


def test_an_error_in_the_stage_is_raised_again_with_its_type_message_and_child_traceback():
    with pytest.raises(InsufficientDataError, match="the test window holds no engagements") as info:
        run_in_own_process(_fail, "the test window holds no engagements", name="failing")
    assert info.value.exit_code == 2
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "'failing' stage process" in notes and "_fail" in notes


def test_a_stage_process_killed_by_a_signal_is_a_clear_error():
    with pytest.raises(StageProcessDied, match="'killed'.*exit code -9"):
        run_in_own_process(_killed, None, name="killed")


def _allocate_in_a_forked_child(mib: int) -> int:
    return run_in_own_process(_allocate, mib, name="inner", preload=("numpy",)).result


def test_a_process_started_from_the_fork_server_reports_its_peak_up_through_its_parent():
    outcome = run_in_own_process(_allocate_in_a_forked_child, 400, name="outer")
    assert outcome.result == 400 * _MIB // 8
    assert outcome.peak_rss_bytes >= 400 * _MIB  # the inner process's, larger than the outer's


def _write_pid_and_sleep(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(120)


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG)")
def test_a_stage_process_dies_with_its_parent(tmp_path):
    """A killed `linksage run` releases its output directory's lock: its stage must not live on."""
    pid_file = tmp_path / "stage.pid"
    script = (
        "from linksage.cli.stage_process import run_in_own_process\n"
        "from tests.linksage.cli.test_stage_process import _write_pid_and_sleep\n"
        f"run_in_own_process(_write_pid_and_sleep, {str(pid_file)!r}, name='sleeper')\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    deadline = time.monotonic() + 60
    while not pid_file.is_file() and parent.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    stage = int(pid_file.read_text())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _running(stage) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(stage)
