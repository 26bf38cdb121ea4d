"""Report: an evaluation's results that render themselves, as ranx's Report does.

The data and report.json (`to_dict`) are evaluation.result's `ReportData`; the rendering lives in
evaluation.report, which reads only evaluation.result, so this is the one module that imports
both and nothing imports back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from evaluation.report import render_html, render_markdown, rich_table, write_report
from evaluation.result import ReportData


@dataclass
class Report(ReportData):
    """An evaluation (see ReportData) with its renderings: the terminal table, report.md,
    report.html, and all three files with report.json."""

    def to_table(self, primary_only: bool = False) -> Table:
        """A rich Table of every task's metrics, or only the primary ones (for the terminal)."""
        return rich_table(self, primary_only=primary_only)

    def to_markdown(self) -> str:
        """report.md's text."""
        return render_markdown(self)

    def to_html(self) -> str:
        """report.html's text (self-contained, plots inline)."""
        return render_html(self)

    def write(self, out_dir: Path) -> dict[str, Path]:
        """Write report.md, report.html and report.json (validated) into out_dir."""
        return write_report(self, out_dir)
