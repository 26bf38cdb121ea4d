"""The same views through Feast's Spark offline store (local mode, feature_store.spark.yaml):
`feast apply` from the CLI, then a point-in-time join at the exact boundaries that gives what the
file store gives. Needs pyspark (the `spark` extra) and a Java 17+ runtime, which `make test`
installs; skipped only outside CI when either is missing."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linksage.feature_store import historical_features, open_store, prepare_and_materialize
from tests.support.feast_data import DIM, MODEL, SNAPSHOTS, T0, build_repo

MISSING = [
    name
    for name, absent in (
        ("pyspark", importlib.util.find_spec("pyspark") is None),
        ("java", shutil.which("java") is None),
    )
    if absent
]
# Skipped only outside CI: `make test` installs both, so under CI a missing one fails loudly.
pytestmark = [
    pytest.mark.skipif(
        bool(MISSING) and not os.environ.get("CI"),
        reason=f"{' and '.join(MISSING)} not installed (pip install -e '.[spark]'; "
        "apt-get install default-jre-headless; make test installs both)",
    ),
    # Feast announces its Spark store as alpha on every source and join
    pytest.mark.filterwarnings("ignore:The spark .* experimental:RuntimeWarning"),
]

TTL_DAYS = 5
US = timedelta(microseconds=1)


@pytest.fixture(scope="module")
def spark_repo(tmp_path_factory):
    """A materialized repo whose Spark variant was applied with the real `feast` CLI."""
    repo = build_repo(tmp_path_factory.mktemp("spark") / "repo")
    prepare_and_materialize(
        repo,
        ttl_days=TTL_DAYS,
        embedding_dim=DIM,
        model_version=MODEL,
        start=T0 - timedelta(days=1),
        end=SNAPSHOTS[-1],
    )
    feast = Path(sys.executable).parent / "feast"
    env = {**os.environ, "LINKSAGE_OFFLINE_STORE": "spark"}
    proc = subprocess.run(
        [str(feast), "-f", "feature_store.spark.yaml", "apply"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo


def test_the_spark_registry_holds_the_views_over_spark_sources(spark_repo):
    store = open_store(spark_repo, offline_store="spark")
    sources = {v.name: type(v.batch_source).__name__ for v in store.list_feature_views()}
    assert sources == dict.fromkeys(("member_profile", "job_profile", "member_gnn", "job_gnn"),
                                    "SparkSource")  # fmt: skip
    assert (spark_repo / "data" / "registry.spark.db").is_file()
    # the file store's registry still declares FileSources: both variants work side by side
    file_store = open_store(spark_repo)
    assert {type(v.batch_source).__name__ for v in file_store.list_feature_views()} == {
        "FileSource"
    }


def _same(a, b) -> bool:
    if isinstance(a, (list, np.ndarray)) or isinstance(b, (list, np.ndarray)):
        return np.array_equal(np.asarray(a, np.float32), np.asarray(b, np.float32))
    return (pd.isna(a) and pd.isna(b)) or a == b


def test_spark_point_in_time_join_equals_the_file_store(spark_repo):
    s0, s1, s2 = SNAPSHOTS
    examples = pd.DataFrame(
        {
            "member_id": [1, 1, 2, 1, 4],
            "job_id": [10, 10, 12, 10, 10],
            "event_timestamp": [s1, s1 - US, s1, s0 - US, s2 + timedelta(days=TTL_DAYS)],
            "example": ["at", "before", "job-later", "before-all", "past-ttl"],
        }
    )
    spark = historical_features(spark_repo, examples, "jymbii_gnn", offline_store="spark")
    files = historical_features(spark_repo, examples, "jymbii_gnn")
    assert spark.columns.tolist() == files.columns.tolist()
    assert spark["example"].tolist() == examples["example"].tolist()
    for col in files.columns:
        assert str(spark[col].dtype) == str(files[col].dtype) or files[col].dtype == object, col
        diff = [(a, b) for a, b in zip(spark[col], files[col], strict=True) if not _same(a, b)]
        assert not diff, (col, diff)
    ts = spark.set_index("example")["member_gnn__feature_ts"]
    assert ts["at"] == s1 and ts["before"] == s0  # exact at the boundary, as the file store
    assert pd.isna(ts["before-all"]) and pd.isna(ts["past-ttl"])
