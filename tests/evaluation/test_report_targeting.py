"""The promoted-jobs targeting section of the report: a table in report.md, the same table and
its figure in report.html, `promoted_targeting` in report.json (schema-valid); absent when not
computed, and a one-line reason when nothing could be."""

from __future__ import annotations

import json

import jsonschema
import pytest

from evaluation.report_model import Report
from evaluation.result import Comparison


def _method(utilisation, recall):
    return {"budget_utilisation": utilisation, "audience_recall": recall,
            "applies_per_budget": utilisation, "qualified_apply_share": 0.25,
            "applies": 12, "exposures": 300, "mean_audience": 50.0}  # fmt: skip


SECTION = {
    "audience_size": 50,
    "methods": {"title_location": _method(0.02, 0.1), "graph": _method(0.04, 0.3)},
    "budget_utilisation_lift_pct": {"graph": 100.0},
    "promoted_jobs": 3,
    "campaign_days": 20,
    "replay": {"jobs": 2, "appliers": 7},
    "simulation": {"seed": 0, "daily_budget": 5.0, "cost_per_apply": 1.0},
    "graph": {
        "hires": 9,
        "hires_by_rule": {"hearing_back": 9},
        "nodes": 40,
        "hire_segment_pairs": 8,
        "restart": 0.3,
    },  # fmt: skip
    "embeddings": None,
    "omitted": {"ebr": "no GNN embeddings (member_gnn.parquet, job_gnn.parquet) in repo/data"},
}


def _report(section):
    return Report(Comparison("t", "control", "gnn"), promoted_targeting=section)


def test_section_in_every_format(tmp_path):
    paths = _report(SECTION).write(tmp_path)
    data = json.loads(paths["json"].read_text())
    assert data["promoted_targeting"]["methods"]["graph"]["budget_utilisation"] == 0.04
    md = paths["md"].read_text()
    assert "## Promoted jobs: auto-targeting" in md
    assert "| graph | 50.0 | 0.3000 | 0.0400 | +100.0% | 0.0400 | 0.2500 |" in md
    assert "| ebr | no GNN embeddings" in md and "9 confirmed hires" in md
    html = paths["html"].read_text()
    assert "Promoted jobs: each targeting method" in html and html.count("<img") >= 1


def test_absent_when_not_computed_and_a_reason_when_nothing_could_be(tmp_path):
    assert "promoted_targeting" not in _report(None).to_dict()
    assert "Promoted jobs" not in _report(None).to_markdown()
    nothing = {"audience_size": 50, "methods": {}, "omitted": {"all": "no promoted job ..."}}
    md = _report(nothing).write(tmp_path)["md"].read_text()
    assert "Not computed: no promoted job ...." in md


def test_schema_refuses_an_unknown_method_or_a_share_above_one(tmp_path):
    for bad in (
        {**SECTION, "methods": {"magic": _method(0.1, 0.1)}},
        {**SECTION, "methods": {"graph": _method(1.5, 0.1)}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            _report(bad).write(tmp_path)
