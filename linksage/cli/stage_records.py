"""What each stage of `linksage run` consumed, recorded when it completes, so that a rerun can
reuse it.

A stage's record (`OUT/stage_records/<stage>.json`) holds the values of the config keys the stage
reads, a fingerprint of each input file as it was when the stage started, a digest of the earlier
stages' records (so a stage an earlier one ran again after never counts as done, even across a
crash), and the files it left for later stages. It is written twice, each time atomically: with
`complete: false` when the stage starts, and with `complete: true` as the stage's last act. A
stage that starts afresh first deletes its record, then what its last attempt left. A run killed
at any point therefore leaves a complete record only of a stage that finished.

What a stage consumes is declared in linksage.cli.stage_deps; the decision (reuse, resume, run
afresh) is `plan_stages` below. The records cover the config and the files, not the code: after
changing the code, rerun with `--from STAGE`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from linksage.config import ExperimentConfig
from linksage.errors import LinksageError
from linksage.io import atomic_write_text

RECORDS_DIR = "stage_records"  # under OUT
_FORMAT = 1  # bump when a record's meaning changes: older records then read as absent
# Settings that change how a stage runs, never what it writes (excluded from every record).
IGNORED_KEYS = ("rankers.parallel_runs",)
# Files up to this size are fingerprinted by content (a small JSON file that a later stage
# rewrites unchanged, e.g. OUT/tasks.json, stays the same input); larger ones by size and mtime.
_HASH_BELOW_BYTES = 1 << 20


PathsOf = Callable[[ExperimentConfig], list[Path]]


def no_paths(cfg: ExperimentConfig) -> list[Path]:
    return []


@dataclass(frozen=True)
class Consumes:
    """What a stage reads and leaves. `config`: the dotted config keys it reads ("rankers",
    "gnn.top_skills"). `inputs`: the files it reads, fingerprinted when it starts. `outputs`: the
    files a later run needs; a stage is reused only while they all exist. `stale`: what a fresh
    run of the stage removes first (outputs its own code would otherwise reuse as they are).
    `resumable`: its finished parts are atomic and skipped by its own code (the ranker runs),
    so an interrupted attempt with the same record resumes instead of starting afresh."""

    config: Callable[[ExperimentConfig], tuple[str, ...]]
    inputs: PathsOf = no_paths
    outputs: PathsOf = no_paths
    stale: PathsOf = no_paths
    resumable: bool = False


class UnknownStage(LinksageError):
    """`--from` names no stage of `linksage run`."""

    exit_code = 2


def slug(name: str) -> str:
    """A stage's name as in file names and `--from` ("plan tasks" -> "plan-tasks")."""
    return name.replace(" ", "-")


def stage_index(names: Sequence[str], wanted: str) -> int:
    """The position of the stage called `wanted` (its name or its slug, any case)."""
    key = slug(wanted.strip().lower())
    for i, name in enumerate(names):
        if slug(name) == key:
            return i
    choices = ", ".join(slug(n) for n in names)
    raise UnknownStage(f"--from {wanted!r}: no such stage (the stages: {choices})")


def config_values(cfg: ExperimentConfig, keys: Iterable[str]) -> dict[str, Any]:
    """The JSON values of the dotted `keys` of `cfg`, less the IGNORED_KEYS."""
    dumped = cfg.model_dump(mode="json")
    for ignored in IGNORED_KEYS:
        *parents, leaf = ignored.split(".")
        node = dumped
        for part in parents:
            node = node.get(part, {})
        node.pop(leaf, None)
    values = {}
    for key in keys:
        node = dumped
        for part in key.split("."):
            node = node[part]  # a KeyError here is a stale key in linksage.cli.stage_deps
        values[key] = node
    return values


def fingerprint(path: Path) -> str:
    """A small file's content digest, a larger one's size and mtime; "absent" if missing."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "absent"
    if stat.st_size < _HASH_BELOW_BYTES:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return f"size:{stat.st_size}:mtime_ns:{stat.st_mtime_ns}"


def fingerprints(paths: Iterable[Path]) -> dict[str, str]:
    """`fingerprint` of each path, keyed by the path as written."""
    return {str(p): fingerprint(p) for p in sorted(set(paths))}


def _records_dir(cfg: ExperimentConfig) -> Path:
    return cfg.output_dir / RECORDS_DIR


def record_path(cfg: ExperimentConfig, name: str) -> Path:
    """OUT/stage_records/<stage>.json."""
    return _records_dir(cfg) / f"{slug(name)}.json"


def read_record(cfg: ExperimentConfig, name: str) -> dict | None:
    """The stage's record, or None when absent, unreadable or of another format."""
    try:
        record = json.loads(record_path(cfg, name).read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("format") == _FORMAT else None


def upstream_digest(cfg: ExperimentConfig, earlier: Iterable[str]) -> str:
    """A digest of the records of the `earlier` stages as they are on disk now."""
    digest = hashlib.sha256()
    for name in earlier:
        path = record_path(cfg, name)
        digest.update(path.read_bytes() if path.is_file() else b"absent")
        digest.update(b"\0")
    return digest.hexdigest()


def discard_record(cfg: ExperimentConfig, name: str) -> None:
    """Delete the stage's record: done before a fresh attempt removes what the last one left."""
    record_path(cfg, name).unlink(missing_ok=True)


def start_record(cfg: ExperimentConfig, name: str, consumes: Consumes, upstream: str) -> dict:
    """Write the stage's record as started (incomplete) and return it. `upstream`: the
    `upstream_digest` of the stages before it."""
    record = {
        "format": _FORMAT,
        "stage": name,
        "complete": False,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config_values(cfg, consumes.config(cfg)),
        "inputs": fingerprints(consumes.inputs(cfg)),
        "upstream": upstream,
    }
    atomic_write_text(record_path(cfg, name), json.dumps(record, indent=1))
    return record


def complete_record(
    cfg: ExperimentConfig, record: dict, consumes: Consumes, stats: dict[str, Any]
) -> None:
    """Rewrite `record` as complete, with the stage's outputs and `stats`: its last act."""
    record = {
        **record,
        "complete": True,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "outputs": sorted(str(p) for p in consumes.outputs(cfg)),
        "stats": stats,
    }
    atomic_write_text(record_path(cfg, record["stage"]), json.dumps(record, indent=1))


def _difference(
    cfg: ExperimentConfig, record: dict, consumes: Consumes, upstream: str
) -> str | None:
    """Why `record` no longer describes what the stage would consume now (None: it does)."""
    now = config_values(cfg, consumes.config(cfg))
    before = record.get("config", {})
    changed = sorted(k for k in now.keys() | before.keys() if now.get(k) != before.get(k))
    if changed:
        return f"config changed: {', '.join(changed)}"
    inputs = fingerprints(consumes.inputs(cfg))
    before = record.get("inputs", {})
    changed = sorted(p for p in inputs.keys() | before.keys() if inputs.get(p) != before.get(p))
    if changed:
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        return f"input changed: {changed[0]}{more}"
    if record.get("upstream") != upstream:
        return "an earlier stage ran again since"
    return None


Action = Literal["reuse", "resume", "run"]


@dataclass(frozen=True)
class Decision:
    """What `linksage run` does with a stage, and why."""

    action: Action
    reason: str
    record: dict | None = field(default=None, compare=False)  # the record a reuse relies on


def _decide(cfg: ExperimentConfig, name: str, consumes: Consumes, upstream: str) -> Decision:
    record = read_record(cfg, name)
    if record is None:
        return Decision("run", "no record")
    difference = _difference(cfg, record, consumes, upstream)
    if not record.get("complete"):
        if difference is None and consumes.resumable:
            return Decision("resume", "interrupted; its finished parts are kept")
        return Decision("run", "interrupted" + (f"; {difference}" if difference else ""))
    if difference is not None:
        return Decision("run", difference)
    missing = [p for p in record.get("outputs", []) if not Path(p).exists()]
    if missing:
        return Decision("run", f"output missing: {missing[0]}")
    return Decision("reuse", f"record of {record.get('finished_at', '?')} matches", record)


def plan_stages(
    cfg: ExperimentConfig, stages: Sequence[tuple[str, Consumes]], start_from: int | None = None
) -> list[Decision]:
    """One decision per stage: the stages before the first whose record does not match (or
    before `start_from`) are reused; that stage and every later one run (a stage reads the files
    the earlier ones wrote, so everything after a stage that runs runs too)."""
    decisions: list[Decision] = []
    for i, (name, consumes) in enumerate(stages):
        if start_from is not None and i >= start_from:
            reason = "--from" if i == start_from else f"after {stages[i - 1][0]}"
            decisions.append(Decision("run", reason))
        elif decisions and decisions[-1].action != "reuse":
            decisions.append(Decision("run", f"after {stages[i - 1][0]}"))
        else:
            upstream = upstream_digest(cfg, [n for n, _ in stages[:i]])
            decisions.append(_decide(cfg, name, consumes, upstream))
    return decisions


def remove_stale(paths: Iterable[Path]) -> None:
    """Remove files and directories a fresh run of a stage must not find."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
