"""One `linksage run` per output directory: an exclusive `flock` on OUT/.lock.

The kernel drops the lock when the process holding it ends, however it ends (SIGKILL, the
out-of-memory killer), so a crashed run never leaves a lock to delete by hand. The file keeps the
holder's pid, for the message a second run prints.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from linksage.errors import LinksageError

LOCK_FILE = ".lock"


class OutputDirectoryBusy(LinksageError):
    """Another `linksage run` holds the output directory."""

    exit_code = 4


@contextmanager
def output_dir_lock(output_dir: Path) -> Iterator[Path]:
    """Hold OUT/.lock for the block; raise OutputDirectoryBusy at once if another process does."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by the stages' processes
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise OutputDirectoryBusy(
                f"{output_dir} is in use by another `linksage run` (pid {holder}); wait for it "
                "to end, or give this run another output_dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock
