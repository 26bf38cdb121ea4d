"""`linksage retrieve` on a tiny real Feast repo, its bad-input messages, and the rules
comparison that `linksage evaluate` adds to the EBR section of the report."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluation.api import evaluate_runs
from evaluation.report import validate_report_json
from linksage.cli.app import app
from linksage.cli.retrieve import retrieve_from_config, rules_comparison_from_config
from linksage.feature_store import open_store
from linksage.timeutil import ns
from retrieval.rules import JobRules, Request, profile_terms
from retrieval.store import MEMBER_FEATURES, Member, live_job_ids, read_jobs, read_member
from tests.retrieval.test_rules import passes

AT = "2026-02-08T12:00:00Z"


@pytest.fixture(scope="module")
def experiment(ranker_experiment, tmp_path_factory):
    """(config path, config, member id): the tiny experiment with a copy of its Feast repo in
    which one extra member has a profile online but no GNN vector yet."""
    cfg, tables = ranker_experiment
    root = tmp_path_factory.mktemp("retrieve")
    repo = shutil.copytree(cfg.feast.repo_dir, root / "feature_repo")
    cfg = cfg.model_copy(update={"feast": cfg.feast.model_copy(update={"repo_dir": repo})})
    # a profile row copied from a real member, under a new id, written online without a vector
    source = pd.read_parquet(repo / "data" / "member_profile.parquet")
    row = source.tail(1).assign(member_id=10**6)
    open_store(repo).write_to_online_store("member_profile", row)
    path = root / "config.yaml"
    cfg.save(path)
    return path, cfg, _member_with_results(cfg, tables.members["member_id"].tolist())


def _member_with_results(cfg, member_ids: list[int], at: str = AT) -> int:
    """The first member for whom at least 2 live jobs pass the rules at `at` (the tiny
    marketplace has 24 live jobs then; no member has more than 2 passing)."""
    store = open_store(cfg.feast.repo_dir)
    rules = JobRules.from_columns(read_jobs(store, live_job_ids(store, ns(at)))[0])
    refs = [f"member_profile:{f}" for f in MEMBER_FEATURES]
    rows = {"member_id": [int(m) for m in member_ids]}
    profiles = store.get_online_features(features=refs, entity_rows=rows).to_dict()
    for i, m in enumerate(member_ids):
        request = Member(int(m), *(profiles[f][i] for f in MEMBER_FEATURES), None).request(ns(at))
        if len(rules.rows(request)) >= 2:
            return int(m)
    raise AssertionError("no member of the tiny marketplace has 2 jobs passing the rules")


def _run(*args: str):
    return CliRunner().invoke(app, ["retrieve", *args])


def test_gnn_retrieval_keeps_the_rules_and_ranks_by_the_store_vectors(experiment):
    _, cfg, member_id = experiment
    at = ns(AT)
    got = retrieve_from_config(cfg, member_id=member_id, at_ns=at, k=5, vectors="gnn")
    plain = retrieve_from_config(
        cfg, member_id=member_id, at_ns=at, k=5, vectors="gnn", use_rules=False
    )
    store = open_store(cfg.feast.repo_dir)
    member = read_member(store, member_id)
    ids = live_job_ids(store, at)
    columns, vectors = read_jobs(store, ids)
    scores = vectors @ member.vector
    request = member.request(at)
    assert request == Request(at, member.seniority, member.location, profile_terms(
        member.title, member.top_skills))  # fmt: skip
    ok = []
    for i in range(len(ids)):
        job = {k.removeprefix("job_profile__"): v[i] for k, v in columns.items()}
        job["posted_ns"], job["expires_ns"] = ns(job["posted_at"]), ns(job["expires_at"])
        job["terms"] = profile_terms(job["title"], job["top_skills"])
        ok.append(passes(job, request))
    ok = np.array(ok)
    assert ok.sum() >= 2
    # one pass = the exact top 5 among the live jobs passing the rules, by the stored vectors
    top = np.lexsort((ids[ok], -scores[ok]))[:5]
    assert got.job_ids.tolist() == ids[ok][top].tolist()
    np.testing.assert_allclose(got.scores, scores[ok][top], atol=1e-4)
    assert got.n_live == len(ids) and got.n_passing == int(ok.sum())
    # without the rules: the top 5 of every live job
    assert plain.job_ids.tolist() == ids[np.lexsort((ids, -scores))[:5]].tolist()


def test_cli_prints_the_top_jobs(experiment):
    path, _, member_id = experiment
    result = _run("--config", str(path), "--member", str(member_id), "--at", AT, "--k", "3",
                  "--vectors", "gnn")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "live jobs" in result.output and "rank" in result.output


def test_cli_bad_input_is_one_line_with_exit_2(experiment):
    path, _, member_id = experiment
    common = ["--config", str(path), "--at", AT, "--vectors", "gnn"]
    unknown = _run(*common, "--member", "999999999")
    assert unknown.exit_code == 2
    assert "--member 999999999: unknown member" in unknown.output
    assert "Traceback" not in unknown.output
    no_vector = _run(*common, "--member", str(10**6))
    assert no_vector.exit_code == 2 and "no vector yet" in no_vector.output
    bad_time = _run("--config", str(path), "--member", str(member_id), "--at", "yesterday-ish")
    assert bad_time.exit_code == 2 and "--at 'yesterday-ish': not a time" in bad_time.output
    bad_vectors = _run(*common[:4], "--member", str(member_id), "--vectors", "bm25")
    assert bad_vectors.exit_code == 2 and "--vectors 'bm25'" in bad_vectors.output
    no_k = _run(*common, "--member", str(member_id), "--k", "0")
    assert no_k.exit_code == 2 and "--k 0: must be at least 1" in no_k.output


def test_cli_empty_results_say_why(experiment):
    path, _, member_id = experiment
    common = ["--config", str(path), "--member", str(member_id), "--vectors", "gnn"]
    before = _run(*common, "--at", "1999-01-01T00:00:00Z")
    assert before.exit_code == 0 and "no results: no job" in before.output
    nothing = _run(*common, "--at", AT, "--query", "zzzqqq")
    assert nothing.exit_code == 0
    assert "no results: no job passes the rules" in nothing.output
    assert "sharing a title or skill term: 0" in nothing.output


def test_ebr_without_a_trained_run_is_refused(experiment, tmp_path):
    _, cfg, member_id = experiment
    cfg = cfg.model_copy(update={"output_dir": tmp_path / "no-run"})
    path = tmp_path / "config.yaml"
    cfg.save(path)
    result = _run("--config", str(path), "--member", str(member_id), "--at", AT)
    assert result.exit_code == 2 and "--vectors ebr: no trained EBR run" in result.output
    assert rules_comparison_from_config(cfg) is None


@pytest.fixture(scope="module")
def ebr_run(experiment):
    """The EBR gnn arm trained on the tiny experiment (seed 0, one epoch)."""
    from linksage.cli.rankers import train_ranker_from_config

    _, cfg, _ = experiment
    return train_ranker_from_config(cfg, "ebr", "gnn", 0, progress=False)


def test_ebr_retrieval_and_the_rules_comparison_in_the_report(
    experiment, ebr_run, clean_run, tiny_config, tiny_tables
):
    path, cfg, member_id = experiment
    result = _run("--config", str(path), "--member", str(member_id), "--at", AT, "--k", "3")
    assert result.exit_code == 0, result.output
    rules = rules_comparison_from_config(cfg)
    assert rules["n_requests"] > 0 and rules["k"] == cfg.retrieval.k
    k = f"recall@{rules['k']}"
    assert rules["one_pass"]["violations"] == 0 and rules["brute_force"]["violations"] == 0
    assert rules["post_filter"]["violations"] == 0
    # the flat index's one pass is exactly the filter-then-brute-force result
    assert rules["one_pass"][k] == rules["brute_force"][k]
    assert rules["one_pass"]["candidates"] == rules["brute_force"]["candidates"]
    assert rules["post_filter"]["candidates"] <= rules["one_pass"]["candidates"]

    # the seam of `linksage evaluate`: the comparison handed to the report's EBR task as is
    report = evaluate_runs(
        clean_run, tables=tiny_tables, windows=tiny_config.windows,
        seeds=tiny_config.evaluation.seeds, repo_dir=tiny_config.feast.repo_dir,
        bootstrap_samples=100, progress=False,
    )  # fmt: skip
    report.tasks["ebr"].attach_retrieval_rules(rules)
    data = report.to_dict()
    validate_report_json(data)
    assert data["details"]["ebr"]["rules"] == rules
    # what each rule removed of the live jobs (the tiny marketplace: no member has more than 2
    # jobs passing of ~24 live, fewer than k = 100 for every request: the verdict warns)
    by_rule = rules["by_rule"]
    assert set(by_rule) == {"location_or_remote", "seniority_within_1", "shared_term"}
    assert all(0 <= r["removes"] <= 1 for r in by_rule.values())
    assert rules["fewer_than_k"] == 1.0
    worst = max(by_rule, key=lambda n: by_rule[n]["removes"])
    (warning,) = data["details"]["ebr"]["verdict_warnings"]
    assert f"rule {worst} (column {', '.join(by_rule[worst]['columns'])})" in warning
    markdown = report.to_markdown()
    assert "Quality rules in retrieval" in markdown
    assert f"| way | {k} | violations | jobs returned | short | p50 ms | p99 ms |" in markdown
    assert "| one pass (rules as the index's filter) |" in markdown
