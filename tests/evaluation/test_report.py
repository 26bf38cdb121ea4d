"""report.json validates against the shipped schema; report.md and report.html say the same thing."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest

from evaluation.api import evaluate_runs
from evaluation.report import report_schema, validate_report_json
from evaluation.verdicts import VERDICTS, VerdictRules
from linksage.config import parse_config
from tests.conftest import tiny_config_dict
from tests.evaluation.conftest import write_run

# the tiny runs train on a few dozen positives: these tests are about the report, not that rule
FEW_POSITIVES_OK = VerdictRules(min_training_positives=1)


@pytest.fixture(scope="module")
def _built(tmp_path_factory, tiny_tables):
    cfg = parse_config(tiny_config_dict(tmp_path_factory.mktemp("report")))
    run = write_run(cfg, tiny_tables)
    report = evaluate_runs(
        run, tables=tiny_tables, windows=cfg.windows, seeds=cfg.evaluation.seeds,
        repo_dir=cfg.feast.repo_dir, bootstrap_samples=100, progress=False,
        rules=FEW_POSITIVES_OK,
    )  # fmt: skip
    return report, report.to_html()


@pytest.fixture
def report(_built):
    """A fresh copy per test (tests may mark checks failed)."""
    return copy.deepcopy(_built[0])


def test_report_json_validates_and_has_design_shape(report, tmp_path):
    paths = report.write(tmp_path / "evaluation")
    data = json.loads(paths["json"].read_text())
    validate_report_json(data)
    jymbii = data["tasks"]["jymbii"]
    assert jymbii["primary_metric"] == "ndcg@10"
    assert set(jymbii["metrics"]["ndcg@10"]) == {
        "control",
        "treatment",
        "lift_pct",
        "ci95_low",
        "ci95_high",
        "p_value",
    }
    assert jymbii["segments"]["cold_start"]["n_requests"] > 0
    assert data["leakage_audit"]["passed"] is True
    assert {c["name"] for c in data["leakage_audit"]["checks"]} >= {
        "embedding_snapshots",
        "features_point_in_time",
    }
    assert data["details"]["jymbii"]["seeds"] == {"control": [0, 1], "treatment": [0, 1]}
    for task, d in data["details"].items():
        assert d["verdict"] in VERDICTS and d["verdict_reason"], task
        assert set(d["primary_per_seed"]["control"]) == {"0", "1"}, task
    jd = data["details"]["jymbii"]
    assert jd["verdict"] == "gnn_better" and 0 < jd["mde_pct"] < 10
    assert set(jd["baselines"]) == {"popularity", "item_knn", "als", "profile_overlap"}
    for task in ("search", "ebr"):  # the three baselines users expect, in every ranking task
        assert {"popularity", "item_knn", "als"} <= set(data["details"][task]["baselines"]), task
    assert data["details"]["ebr"]["verdict_warnings"] == []
    assert jd["training_positives"] > 0
    assert jd["candidates"]["what"] == "candidate list" and jd["candidates"]["recall_k"] == 1
    ebr = data["details"]["ebr"]
    assert ebr["candidates"]["what"] == "live corpus" and "profile_overlap" not in ebr["baselines"]
    assert data["tasks"]["ebr"]["primary_metric"] == f"recall@{ebr['candidates']['recall_k']}"
    assert data["meta"]["verdict_rules"]["max_mde_pct"] == 10.0


def test_schema_rejects_reports_that_break_the_contract(report):
    good = report.to_dict()
    broken = []
    b = copy.deepcopy(good)
    del b["tasks"]["jymbii"]["metrics"]["ndcg@10"]["p_value"]
    broken.append(b)
    b = copy.deepcopy(good)
    b["tasks"]["jymbii"]["metrics"]["ndcg@10"]["p_value"] = 1.5
    broken.append(b)
    b = copy.deepcopy(good)
    b["leakage_audit"]["passed"] = "yes"
    broken.append(b)
    b = copy.deepcopy(good)
    b["tasks"]["taj"]["segments"]["premium"].pop("n_requests")
    broken.append(b)
    b = copy.deepcopy(good)
    b["details"]["jymbii"]["verdict"] = "looks_good"
    broken.append(b)
    b = copy.deepcopy(good)
    del b["details"]["search"]["mde_pct"]
    broken.append(b)
    b = copy.deepcopy(good)
    b["details"]["jymbii"]["candidates"]["recall_k"] = 0
    broken.append(b)
    for b in broken:
        with pytest.raises(jsonschema.ValidationError):
            validate_report_json(b)
    assert report_schema()["$schema"].endswith("2020-12/schema")


def test_markdown_opens_with_the_verdicts(report):
    md = report.to_markdown()
    first_table = md[md.index("|") :].splitlines()
    assert first_table[0] == (
        "| task | verdict | primary metric | control | gnn | lift % | 95% CI | p | MDE % | "
        "training positives | best baseline |"
    )
    assert first_table[2].startswith("| jymbii | gnn_better | ndcg@10 | ")
    assert "- **jymbii**: ndcg@10 lift +" in md  # each verdict's reason
    order = ["## Verdicts", "### Baselines", "### Seed spread", "### What each request ranks"]
    order += ["| task | metric | control | treatment |", "## Leakage audit: PASSED"]
    positions = [md.index(x) for x in order]
    assert positions == sorted(positions)
    assert "| jymbii | ndcg@10 | " in md and "| ebr | recall@1 | " in md
    assert "| jymbii | ndcg@10 | control | 0: " in md  # two seeds: each seed's value
    assert "<details>" not in md  # folding is HTML's


def test_html_is_self_contained_with_plots(_built):
    html = _built[1]
    assert html.startswith("<!DOCTYPE html>")
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', html)) == 3
    assert not re.search(r'(src|href)="(http|//|file:)', html)  # nothing fetched from outside
    assert "<h2>Leakage audit: PASSED</h2>" in html
    # verdicts first, then the forest plot of the lifts, then the tables folded away
    order = ["<h2>Verdicts</h2>", '<img alt="Lift per task', "<details><summary>Baselines"]
    order += ["<details><summary>jymbii: every metric and segment</summary>"]
    positions = [html.index(x) for x in order]
    assert positions == sorted(positions)
    assert html.count("<details>") == html.count("</details>") == 3 + 4


def test_failed_audit_is_loud_in_every_format(report, tmp_path):
    report.leakage_audit.checks[1].passed = False
    report.leakage_audit.checks[1].detail = "LEAKY: embeddings were computed on the full graph"
    md = report.to_markdown()
    assert md.splitlines()[2].startswith("> **LEAKAGE AUDIT FAILED (embedding_snapshots)")
    assert "## Leakage audit: FAILED" in md and "| embedding_snapshots | FAIL |" in md
    paths = report.write(tmp_path)
    assert '<div class="alert">LEAKAGE AUDIT FAILED' in paths["html"].read_text()
    data = json.loads(paths["json"].read_text())
    assert data["leakage_audit"]["passed"] is False


def test_nearline_ablation_section_when_its_arm_exists(tiny_config, tiny_tables, clean_run):
    import shutil

    for task in ("jymbii", "search"):
        src = clean_run / "rankers" / task / "control"
        shutil.copytree(src, clean_run / "rankers" / task / "gnn_nearline")
    cfg = tiny_config
    report = evaluate_runs(
        clean_run, tables=tiny_tables, windows=cfg.windows, seeds=cfg.evaluation.seeds,
        repo_dir=cfg.feast.repo_dir, bootstrap_samples=100, progress=False,
        rules=FEW_POSITIVES_OK,
    )  # fmt: skip
    section = report.sections["nearline_ablation"]
    assert list(section.tasks) == ["jymbii", "search"]
    assert section.control == "gnn" and section.treatment == "gnn_nearline"
    assert "new_jobs" in section.tasks["jymbii"].segments
    assert "Nearline ablation" in report.to_markdown()
    validate_report_json(report.to_dict())


def test_terminal_table_all_metrics_or_primary_only(report):
    from rich.console import Console

    def text(table):
        console = Console(record=True, width=250)
        console.print(table)
        return console.export_text()

    full, short = text(report.to_table()), text(report.to_table(primary_only=True))
    assert "ndcg@5" in full and "recall@1 " in full
    assert "ndcg@5" not in short and "ndcg@10" in short and "pooled_auc" in short
    assert "verdict" in short and "gnn_better" in short and "verdict" not in full
