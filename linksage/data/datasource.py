"""One way to get the input tables, whichever the config's data source is."""

from __future__ import annotations

from pathlib import Path

from linksage.config import DataSection
from linksage.data.schema import TABLES
from linksage.data.tables import Tables, read_tables, write_tables


def ensure_data(data: DataSection, data_dir: Path) -> Path:
    """Return the directory holding the tables; for the synthetic source, generate them there
    first if they are not there yet (generation is deterministic, so this is idempotent)."""
    if data.source == "directory":
        return data_dir
    if not all((data_dir / t.file_name).exists() for t in TABLES.values() if t.required):
        from linksage.synthetic.marketplace import generate_marketplace

        s = data.synthetic
        tables = generate_marketplace(
            members=s.members, seed=s.seed, start=s.start, days=s.days, preset=s.preset
        )
        if s.export:  # only what an export holds, as it holds it
            from linksage.synthetic.export import write_export

            write_export(tables, data_dir)
        else:
            write_tables(tables, data_dir)
    return data_dir


def load_tables(data: DataSection, data_dir: Path, validate: bool = True) -> Tables:
    """Read (and by default validate) the tables, generating synthetic ones if needed."""
    return read_tables(ensure_data(data, data_dir), validate=validate)
