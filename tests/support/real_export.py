"""A synthetic marketplace written the way a real interaction log usually arrives: the product's
writer (linksage.synthetic.export), with the three required tables by default."""

from __future__ import annotations

from pathlib import Path

from linksage.data.tables import Tables
from linksage.synthetic.export import write_export


def write_real_export(tables: Tables, directory: Path, also: tuple[str, ...] = ()) -> Path:
    """Write members, jobs and engagements of `tables` (and the optional tables named in `also`)
    into `directory` as a real export looks."""
    return write_export(tables, directory, ("members", "jobs", "engagements", *also))
