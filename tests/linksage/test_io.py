"""Atomic writes: all or nothing, and files get the mode the user's umask gives."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from linksage.io import atomic_path, atomic_write_text, replace_dir, write_parquet


@pytest.fixture
def umask_027():
    previous = os.umask(0o027)
    yield
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_files_follow_the_umask_not_mkstemps_0600(tmp_path):
    previous = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "report.md", "# hi\n")
        write_parquet(pd.DataFrame({"a": [1, 2]}), tmp_path / "t.parquet")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "report.md") == 0o644
    assert _mode(tmp_path / "t.parquet") == 0o644


def test_a_stricter_umask_is_respected(tmp_path, umask_027):
    atomic_write_text(tmp_path / "secret.txt", "x")
    assert _mode(tmp_path / "secret.txt") == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_replace_dir_swaps_a_whole_directory_in_and_leaves_nothing_aside(tmp_path):
    target = tmp_path / "seed0"
    for text in ("first", "second"):
        staging = tmp_path / f".seed0.staging-{text}"
        staging.mkdir()
        (staging / "metrics.json").write_text(text)
        replace_dir(staging, target)
        assert (target / "metrics.json").read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["seed0"]
