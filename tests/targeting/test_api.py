"""`promoted_targeting` on the tiny synthetic marketplace: every part the data supports, and
each part the data cannot support left out with its reason (never an exception)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from typer.testing import CliRunner

from evaluation.report import validate_report_json
from linksage.cli.app import app
from linksage.cli.targeting import targeting_from_config
from linksage.config import TargetingSection, parse_config
from targeting import promoted_targeting
from tests.support.config import tiny_config_dict, tiny_directory_config_dict

PARAMS = TargetingSection(audience_size=40)


def _run(tables, config, **kw) -> dict:
    w = config.windows
    return promoted_targeting(tables, w.t_test_start, w.t_test_end, PARAMS, **kw)


def _valid(section: dict) -> None:
    validate_report_json({"tasks": {}, "leakage_audit": {"passed": True, "checks": []},
                          "promoted_targeting": section})  # fmt: skip


def _write_vectors(directory, tables, config, dim=8):
    """member_gnn and job_gnn parquet sources: random vectors at t_test_start, except job 1's,
    a copy of member 7's."""
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    ts = config.windows.t_test_start
    member_ids, job_ids = tables.members["member_id"].to_numpy(), tables.jobs["job_id"].to_numpy()
    members = rng.normal(size=(len(member_ids), dim)).astype(np.float32)
    jobs = rng.normal(size=(len(job_ids), dim)).astype(np.float32)
    jobs[job_ids == 1] = members[member_ids == 7]
    for entity, ids, vectors in (("member", member_ids, members), ("job", job_ids, jobs)):
        table = pa.table({
            f"{entity}_id": ids,
            "embedding": pa.array(list(vectors), type=pa.list_(pa.float32())),
            "event_timestamp": pa.array([ts] * len(ids), type=pa.timestamp("us", tz="UTC")),
        })  # fmt: skip
        pq.write_table(table, directory / f"{entity}_gnn.parquet")


def test_every_method_with_embeddings_and_a_simulation(tiny_tables, tiny_config, tmp_path):
    _write_vectors(tmp_path / "repo", tiny_tables, tiny_config)
    section = _run(tiny_tables, tiny_config, gnn_dir=tmp_path / "repo",
                   apply_probability=lambda m, j: np.full(len(m), 0.2))  # fmt: skip
    _valid(section)
    assert list(section["methods"]) == ["title_location", "graph", "graph_gnn", "ebr"]
    assert section["omitted"] == {} and section["promoted_jobs"] > 0
    for name, m in section["methods"].items():
        assert m["mean_audience"] <= 40, name
        assert 0 <= m["budget_utilisation"] <= 1 and m["applies"] <= m["exposures"]
    assert section["graph"]["hires"] > 0 and section["embeddings"]["jobs_with_vector"] > 0


def test_ebr_audience_is_the_most_similar_members(tiny_tables, tiny_config, tmp_path):
    from targeting.audiences import ebr_audiences
    from targeting.embeddings import job_vectors, member_vectors

    _write_vectors(tmp_path, tiny_tables, tiny_config)
    at = tiny_config.windows.t_test_start
    members, snap = member_vectors(tmp_path / "member_gnn.parquet", at)
    starts = pd.Series([at, at - pd.Timedelta(days=1)], index=[1, 2])  # job 2: no snapshot yet
    jobs = job_vectors(tmp_path / "job_gnn.parquet", starts)
    assert list(jobs.ids) == [1] and snap == at
    aud = ebr_audiences(members, jobs, tiny_tables.members["member_id"].to_numpy(), size=5)
    assert aud[1][0] == 7 and len(aud[1]) == 5


def test_left_out_parts_say_why(tiny_tables, tiny_config):
    section = _run(tiny_tables, tiny_config)
    _valid(section)
    assert "simulation" in section["omitted"] and "ebr" in section["omitted"]
    assert section["methods"]["graph"]["budget_utilisation"] is None
    assert section["methods"]["graph"]["audience_recall"] is not None

    no_hires = tiny_tables.__class__(**{**vars(tiny_tables), "recruiter_actions": None,
                                        "member_positions": None})  # fmt: skip
    section = _run(no_hires, tiny_config)
    assert list(section["methods"]) == ["title_location"]
    assert "no confirmed hire" in section["omitted"]["graph"]
    assert section["omitted"]["graph_gnn"] == section["omitted"]["graph"]


def test_without_promoted_jobs_nothing_is_computed_and_it_says_why(tiny_tables, tiny_config):
    none = tiny_tables.__class__(**{**vars(tiny_tables),
                                    "jobs": tiny_tables.jobs.assign(is_promoted=False)})  # fmt: skip
    section = _run(none, tiny_config)
    _valid(section)
    assert section["methods"] == {} and "no promoted job" in section["omitted"]["all"]
    absent = tiny_tables.__class__(**{**vars(tiny_tables),
                                      "jobs": tiny_tables.jobs.drop(columns="is_promoted")})  # fmt: skip
    assert "is_promoted is absent" in _run(absent, tiny_config)["omitted"]["all"]


def test_cli_simulates_only_the_marketplace_the_config_generates(tiny_tables, tmp_path):
    synthetic = parse_config(tiny_config_dict(tmp_path / "s"))
    section = targeting_from_config(synthetic, tiny_tables)
    assert "simulation" not in section["omitted"]
    assert section["methods"]["title_location"]["budget_utilisation"] is not None

    other = parse_config(tiny_config_dict(tmp_path / "o", members=401))
    assert "not what data.synthetic generates" in targeting_from_config(other, tiny_tables)[
        "omitted"]["simulation"]  # fmt: skip


def test_cli_command_on_a_directory_of_tables(tiny_data_dir, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(tiny_directory_config_dict(tmp_path, tiny_data_dir)))
    result = CliRunner().invoke(app, ["targeting", "--config", str(path),
                                      "--out", str(tmp_path / "t.json")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "graph" in result.output and "data.source is 'directory'" in result.output
    assert (tmp_path / "t.json").is_file()
