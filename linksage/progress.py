"""Progress bars that suit a log: when stderr is not a terminal, a tqdm bar redraws at most every
LOG_INTERVAL_S seconds (and once at its end) instead of every 0.1 s.

tqdm (>= 4.66) reads `TQDM_<ARGUMENT>` environment variables as the defaults of its arguments
when it is imported, so setting `TQDM_MININTERVAL` before any tqdm import covers every bar of the
process and of the processes it starts (each stage of `linksage run`, each ranker run), whichever
package creates them, without each call site passing it. A bar that passes `mininterval` itself,
or a user's own `TQDM_MININTERVAL`, still wins. Rich's bars and spinners need nothing: rich draws
them only on a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from typing import TextIO

LOG_INTERVAL_S = 30.0  # a line every 30 s keeps a long stage visible in a log without flooding it


def configure_for_logs(
    stream: TextIO | None = None, environ: MutableMapping[str, str] | None = None
) -> bool:
    """Set tqdm's default redraw interval to LOG_INTERVAL_S when `stream` (default: stderr, where
    tqdm writes) is not a terminal; True if set. Call before tqdm is imported (the CLI does, at
    start); processes started afterwards inherit it."""
    stream = sys.stderr if stream is None else stream
    environ = os.environ if environ is None else environ
    if _is_terminal(stream):
        return False
    environ.setdefault("TQDM_MININTERVAL", str(LOG_INTERVAL_S))
    return True


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream: not a terminal
        return False
