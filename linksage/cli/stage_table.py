"""Per-stage wall time and peak memory for `linksage run`'s closing table."""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table

from linksage.memory import release_freed_memory

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0: write 5 to clear_refs); False if unable."""
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """Peak resident set size of this process since the last reset (VmHWM), or since start."""
    try:
        status = _STATUS.read_text()
    except OSError:  # not Linux: the process-wide high-water mark is all there is
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class StageRecord:
    name: str
    seconds: float = 0.0
    peak_rss_bytes: int = 0
    rows_in: int | None = None  # what the stage read, in its own unit (see linksage.cli.pipeline)
    rows_out: int | None = None
    status: str = "ran"  # or "reused": its outputs from an earlier run (zero time and memory)
    reason: str = ""  # why it ran or was reused (linksage.cli.stage_records)

    def stats(self) -> dict:
        """What a stage's record keeps of this row (shown again when the stage is reused)."""
        return {
            "seconds": round(self.seconds, 3),
            "peak_rss_bytes": self.peak_rss_bytes,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
        }


def _count(n: int | None) -> str:
    return "" if n is None else f"{n:,}"


@dataclass
class StageTable:
    """Collects one record per stage; `measure` wraps a stage."""

    records: list[StageRecord] = field(default_factory=list)
    per_stage_peak: bool = True

    @contextmanager
    def measure(self, name: str) -> Iterator[StageRecord]:
        record = StageRecord(name)
        release_freed_memory()
        self.per_stage_peak = _reset_peak_rss() and self.per_stage_peak
        started = time.perf_counter()
        try:
            yield record
        finally:
            record.seconds = time.perf_counter() - started
            # a stage run in its own process has set its peak already; the larger one counts
            record.peak_rss_bytes = max(record.peak_rss_bytes, peak_rss_bytes())
            self.records.append(record)

    def reuse(self, name: str, stats: dict, reason: str) -> StageRecord:
        """Add a row for a stage whose outputs an earlier run wrote: its rows as recorded, no
        time or memory spent by this run."""
        record = StageRecord(
            name,
            rows_in=stats.get("rows_in"),
            rows_out=stats.get("rows_out"),
            status="reused",
            reason=reason,
        )
        self.records.append(record)
        return record

    def to_rich(self) -> Table:
        """The table as `linksage run` prints it."""
        peak = "peak RSS" if self.per_stage_peak else "peak RSS (process so far)"
        table = Table(title="stages", title_justify="left")
        columns = ("stage", "wall", peak, "rows in", "rows out", "rows/s")
        for column in columns:
            table.add_column(column, justify="left" if column == "stage" else "right")
        for r in self.records:
            rate = r.rows_in if r.rows_in is not None else r.rows_out
            if r.status == "reused":  # its rows as recorded; this run spent no time on it
                table.add_row(r.name, "reused", "", _count(r.rows_in), _count(r.rows_out), "")
                continue
            table.add_row(
                r.name,
                f"{r.seconds:.1f} s",
                f"{r.peak_rss_bytes / 2**30:.2f} GiB",
                _count(r.rows_in),
                _count(r.rows_out),
                _count(None if rate is None else round(rate / max(r.seconds, 1e-9))),
            )
        total = sum(r.seconds for r in self.records)
        top = max((r.peak_rss_bytes for r in self.records), default=0)
        table.add_row("total", f"{total:.1f} s", f"{top / 2**30:.2f} GiB", style="bold")
        return table

    def to_dict(self) -> list[dict]:
        """The records as plain data (saved beside the run's outputs as stages.json)."""
        return [
            {"stage": r.name, **r.stats(), "status": r.status, "reason": r.reason}
            for r in self.records
        ]
