"""The declarative repository: what it defines, and the real `feast` CLI working in a copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from linksage.feature_store import (
    check_embedding_files,
    copy_repo,
    load_definitions,
    open_store,
    publish_embeddings,
    template_dir,
    write_settings,
)
from tests.support.feast_data import DIM, SNAPSHOTS, build_repo, embedding_tables, newest_rows

TASKS = ("jymbii", "search", "taj", "ebr")


def _by_type(objects, kind):
    return {o.name: o for o in objects if type(o).__name__ == kind}


def _features(service) -> set[tuple[str, str]]:
    return {(p.name, f.name) for p in service.feature_view_projections for f in p.features}


@pytest.fixture(scope="module")
def definitions():
    return load_definitions(template_dir())


@pytest.mark.parametrize("task", TASKS)
def test_control_differs_from_gnn_only_by_the_gnn_views(definitions, task):
    services = _by_type(definitions, "FeatureService")
    views = _by_type(definitions, "FeatureView")
    control, gnn = _features(services[f"{task}_control"]), _features(services[f"{task}_gnn"])
    gnn_only = {(v, f.name) for v in ("member_gnn", "job_gnn") for f in views[v].features}
    assert control | gnn_only == gnn
    assert not control & gnn_only
    assert {v for v, _ in control} == {"member_profile", "job_profile"}


def test_views_entities_and_push_sources(definitions):
    views = _by_type(definitions, "FeatureView")
    assert set(views) == {"member_profile", "job_profile", "member_gnn", "job_gnn"}
    assert views["member_gnn"].entities == ["member"] and views["job_gnn"].entities == ["job"]
    embedding = {f.name: str(f.dtype) for f in views["member_gnn"].features}
    assert embedding["embedding"].startswith("Array(Float32")
    pushes = _by_type(definitions, "PushSource")
    assert set(pushes) == {"member_gnn_push", "job_gnn_push"}
    assert views["job_gnn"].stream_source.name == "job_gnn_push"
    assert all("feature_ts" in {f.name for f in v.features} for v in views.values())


def test_settings_file_sets_the_ttl(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    write_settings(repo, ttl_days=3, embedding_dim=16)
    views = _by_type(load_definitions(repo), "FeatureView")
    assert {v.ttl.days for v in views.values()} == {3}
    assert views["member_gnn"].tags["embedding_dim"] == "16"


def _feast(repo: Path, *args: str) -> str:
    feast = Path(sys.executable).parent / "feast"
    proc = subprocess.run(
        [str(feast), *args], cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_real_feast_cli_applies_and_materializes_a_copy(tmp_path):
    """`cd REPO && feast apply && feast materialize START END`, as a user would run it."""
    repo = build_repo(tmp_path / "repo")
    publish_embeddings(repo, check_embedding_files(repo, embedding_dim=DIM))
    out = _feast(repo, "apply")
    assert "member_gnn" in out and "jymbii_gnn" in out
    start, end = SNAPSHOTS[0].isoformat(), SNAPSHOTS[-1].isoformat()
    _feast(repo, "materialize", start, end)
    store = open_store(repo)
    got = store.get_online_features(
        features=["member_gnn:embedding"], entity_rows=[{"member_id": 1}]
    ).to_dict()
    expected = newest_rows(embedding_tables()["member"], "member_id").loc[1, "embedding"]
    np.testing.assert_array_equal(np.float32(got["embedding"][0]), expected)
