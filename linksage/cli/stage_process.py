"""One stage of `linksage run` in a process of its own.

Why a process per stage: a stage's memory is only truly returned when its process ends. In one
long process, torch's and TensorFlow's allocators, glibc arenas and Arrow's pool keep what the
earlier stages used (about 1.9 GiB on 10^5 engagements, even after `release_freed_memory`), so a
later stage starts that far above what it needs. A stage reads its inputs from the files the
previous one wrote, so nothing but the config crosses the boundary. It is also what a scheduler
(Airflow, Kubeflow) does with the same stages.

The child is spawned, not forked: the parent may already hold torch or TensorFlow threads (tests
run the pipeline inside pytest), and forking a process with live OpenMP or TF thread pools can
hang the child. Work that starts many short processes over the same heavy imports (a ranker run
each) names them in `preload`: a fork server, itself a fresh process that imports them once and
runs nothing, forks each child from there (multiprocessing's forkserver), so a child starts in a
fraction of a second instead of importing TensorFlow again (~4 s on 2 cores).

A process's reported peak is the largest of its own and of the processes it ran this way, so the
stage table's figure is that of the stage's largest process.

A child dies with its parent (Linux): `linksage run` holds its output directory's lock only while
it lives (linksage.cli.run_lock), so a stage left running after its parent was killed would write
into a directory the next run believes it owns.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from linksage.cli.stage_table import peak_rss_bytes
from linksage.errors import LinksageError


class StageProcessDied(LinksageError):
    """A stage's process ended without reporting (killed, e.g. by the out-of-memory killer)."""


@dataclass(frozen=True)
class StageOutcome:
    result: Any
    peak_rss_bytes: int  # the child's peak RSS, or that of a process it ran, if larger


def _portable(err: BaseException) -> BaseException:
    """`err` if it survives pickling, else a RuntimeError with its type and message."""
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:  # noqa: BLE001  (any exception type can fail to pickle)
        return RuntimeError(f"{type(err).__name__}: {err}")


_largest_child_peak = 0  # bytes: the largest peak among the processes this one has run


def own_and_children_peak() -> int:
    """This process's peak RSS, or a larger one among the processes it ran through here."""
    return max(peak_rss_bytes(), _largest_child_peak)


_PR_SET_PDEATHSIG = 1  # prctl(2)


def _die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent ends (Linux; elsewhere nothing)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: not Linux
        return
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():  # it ended before the request was made
        os._exit(1)


def _child(run: Callable[[Any], Any], arg: Any, conn: Connection) -> None:
    _die_with_parent()
    try:
        result = run(arg)
    except BaseException as err:  # noqa: BLE001  (every failure goes back to the parent)
        conn.send(("error", _portable(err), traceback.format_exc(), own_and_children_peak()))
    else:
        conn.send(("ok", result, None, own_and_children_peak()))
    finally:
        conn.close()


def _context(preload: tuple[str, ...]) -> multiprocessing.context.BaseContext:
    if not preload:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))  # read when this process's server starts
    return context


def run_in_own_process(
    run: Callable[[Any], Any], arg: Any, *, name: str, preload: tuple[str, ...] = ()
) -> StageOutcome:
    """`run(arg)` in a process of its own; its return value (picklable) and peak RSS.

    An exception in the child is raised here as the same exception (its traceback in the child
    attached as a note, shown with --debug). `run` must be a module-level function. `preload`:
    modules the child needs, imported once by a fork server (see the module docstring)."""
    global _largest_child_peak
    context = _context(preload)
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(run, arg, send), name=f"linksage {name}")
    process.start()
    send.close()  # the child holds the only writer: recv() ends with EOFError if it dies
    try:
        status, value, child_traceback, peak = receive.recv()
    except EOFError:
        process.join()
        raise StageProcessDied(
            f"stage {name!r}: its process ended with exit code {process.exitcode} before "
            "reporting (a negative code is the signal that killed it; -9 is often the "
            "out-of-memory killer)"
        ) from None
    except BaseException:  # Ctrl-C or any other interruption: do not leave the child running
        process.terminate()
        process.join()
        raise
    finally:
        receive.close()
    process.join()
    _largest_child_peak = max(_largest_child_peak, peak)
    if status == "error":
        value.add_note(f"in the {name!r} stage process:\n{child_traceback}")
        raise value
    return StageOutcome(value, peak)
