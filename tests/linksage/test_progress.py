"""Progress bars in a log: periodic lines, not one per update; on a terminal, unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from linksage.progress import LOG_INTERVAL_S, configure_for_logs

ROOT = Path(__file__).resolve().parents[2]


def _loop(steps: int) -> None:
    """A bar of `steps` updates over about a second (each redraw would be a line in a log)."""
    from tqdm import tqdm

    for _ in tqdm(range(steps), desc="loop"):
        time.sleep(1 / steps)


def _lines_of_a_stage_loop(configure: bool) -> list[str]:
    """The bar's redraws when a stage process runs `_loop`, stderr a pipe (not a terminal)."""
    script = (
        "from linksage.progress import configure_for_logs\n"
        f"{'configure_for_logs()' if configure else ''}\n"
        "from linksage.cli.stage_process import run_in_own_process\n"
        "from tests.linksage.test_progress import _loop\n"
        "run_in_own_process(_loop, 200, name='loop')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TQDM_MININTERVAL"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    redraws = done.stderr.replace("\r", "\n").splitlines()
    return [line for line in redraws if line.startswith("loop:")]


def test_a_bar_not_on_a_terminal_draws_periodic_lines_in_the_stage_processes_too():
    assert len(_lines_of_a_stage_loop(configure=False)) >= 5  # tqdm's own: every 0.1 s
    lines = _lines_of_a_stage_loop(configure=True)
    assert len(lines) <= 2  # its first draw, then its end: the loop is shorter than the interval
    assert "200/200" in lines[-1]


def test_only_a_stream_that_is_not_a_terminal_changes_the_interval(tmp_path):
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal:
        environ: dict[str, str] = {}
        assert configure_for_logs(terminal, environ) is False
        assert environ == {}
    os.close(leader)
    with open(tmp_path / "log.txt", "w") as log:
        assert configure_for_logs(log, environ) is True
        assert environ == {"TQDM_MININTERVAL": str(LOG_INTERVAL_S)}
        mine = {"TQDM_MININTERVAL": "5"}
        configure_for_logs(log, mine)
        assert mine == {"TQDM_MININTERVAL": "5"}  # a user's own setting stays
