"""Stage records: which stages a rerun of `linksage run` reuses, resumes or runs, and why. The
records are real files written by the same functions the pipeline calls; no stage runs here."""

from __future__ import annotations

import json

import pytest

from linksage.cli.pipeline import STAGES
from linksage.cli.stage_deps import stage_consumes
from linksage.cli.stage_records import (
    Consumes,
    UnknownStage,
    complete_record,
    config_values,
    plan_stages,
    record_path,
    stage_index,
    start_record,
    upstream_digest,
)
from linksage.config import parse_config
from tests.support.config import tiny_config_dict


def _merge(base: dict, change: dict) -> dict:
    merged = dict(base)
    for key, value in change.items():
        is_section = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = _merge(base[key], value) if is_section else value
    return merged


def _config(tmp_path, **sections):
    return parse_config(_merge(tiny_config_dict(tmp_path), sections))


def _stages(cfg):
    consumes = stage_consumes(cfg)
    return [(s.name, consumes[s.name]) for s in STAGES]


def _start(cfg, name: str) -> dict:
    """Record `name` as started, as the pipeline does (after the stages before it)."""
    stages = _stages(cfg)
    names = [n for n, _ in stages]
    upstream = upstream_digest(cfg, names[: names.index(name)])
    return start_record(cfg, name, dict(stages)[name], upstream)


def _complete_every_stage(cfg) -> None:
    """Record every stage as completed for `cfg`, its outputs present (empty files)."""
    for name, consumes in _stages(cfg):
        for path in consumes.outputs(cfg):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        complete_record(cfg, _start(cfg, name), consumes, {"rows_out": 1})


def _actions(cfg) -> dict[str, str]:
    stages = _stages(cfg)
    return {n: d.action for (n, _), d in zip(stages, plan_stages(cfg, stages), strict=True)}


def _first_run(cfg) -> str:
    return next(name for name, action in _actions(cfg).items() if action != "reuse")


@pytest.mark.parametrize("nearline", [False, True])
def test_every_config_key_of_the_dependency_table_exists(tmp_path, nearline):
    cfg = _config(tmp_path, evaluation={"nearline_ablation": nearline})
    for name, consumes in _stages(cfg):
        assert config_values(cfg, consumes.config(cfg)), name


def test_a_finished_run_is_reused_whole(tmp_path):
    cfg = _config(tmp_path)
    _complete_every_stage(cfg)
    assert set(_actions(cfg).values()) == {"reuse"}
    # how the rankers run in parallel changes nothing they write
    assert set(_actions(_config(tmp_path, rankers={"parallel_runs": 1})).values()) == {"reuse"}


@pytest.mark.parametrize(
    ("section", "change", "nearline", "first"),
    [
        # the rankers section: the rankers, the evaluation, and the nearline ablation's ranker runs
        ("rankers", {"epochs": 2}, False, "rankers"),
        ("rankers", {"epochs": 2}, True, "nearline ablation"),
        ("rankers", {"tasks": ["jymbii"]}, False, "plan tasks"),  # the plan reads rankers.tasks
        ("evaluation", {"bootstrap_samples": 300}, True, "evaluate"),
        ("evaluation", {"seeds": [0]}, False, "rankers"),
        ("evaluation", {"seeds": [0]}, True, "nearline ablation"),
        ("retrieval", {"k": 50}, True, "evaluate"),
        ("gnn", {"epochs": 3}, True, "train-gnn"),
        ("gnn", {"top_skills": 3}, True, "train-gnn"),  # features read it too, but later
        ("feast", {"ttl_days": 10}, True, "materialize"),
        ("feast", {"repo_dir": "elsewhere"}, True, "embed"),  # embed writes into the repo
        ("nearline", {"refresh": "ego"}, True, "nearline ablation"),
        ("nearline", {"refresh": "ego"}, False, None),  # the ablation is off: nothing reads it
        ("data", {"synthetic": {"seed": 4}}, True, "data"),
    ],
)
def test_a_config_change_reruns_from_the_first_stage_that_reads_it(
    tmp_path, section, change, nearline, first
):
    ablation = {"evaluation": {"nearline_ablation": nearline}}
    _complete_every_stage(_config(tmp_path, **ablation))
    after = _config(tmp_path, **_merge(ablation, {section: change}))
    actions = _actions(after)
    names = list(actions)
    if first is None:
        assert set(actions.values()) == {"reuse"}
        return
    cut = names.index(first)
    assert [actions[n] for n in names[:cut]] == ["reuse"] * cut
    assert [actions[n] for n in names[cut:]] == ["run"] * (len(names) - cut)
    reason = plan_stages(after, _stages(after))[cut].reason
    assert reason.startswith("config changed: ") and section in reason


def test_a_changed_input_file_or_a_missing_output_reruns_its_stage(tmp_path):
    cfg = _config(tmp_path, evaluation={"nearline_ablation": False})
    data = cfg.data_dir / "members.parquet"
    data.parent.mkdir(parents=True)
    data.write_bytes(b"one")
    _complete_every_stage(cfg)
    assert set(_actions(cfg).values()) == {"reuse"}
    data.write_bytes(b"two")  # the tables changed under the run: every reader reruns
    assert _first_run(cfg) == "plan tasks"
    plan = plan_stages(cfg, _stages(cfg))
    assert plan[1].reason == f"input changed: {data}"

    _complete_every_stage(cfg)
    (cfg.output_dir / "gnn" / "checkpoint.pt").unlink()
    assert _first_run(cfg) == "train-gnn"
    assert plan_stages(cfg, _stages(cfg))[2].reason.startswith("output missing: ")


def test_an_interrupted_stage_resumes_only_if_it_can_and_nothing_changed(tmp_path):
    cfg = _config(tmp_path, evaluation={"nearline_ablation": False})
    _complete_every_stage(cfg)
    _start(cfg, "rankers")  # started, never completed: killed
    assert _actions(cfg)["rankers"] == "resume"
    assert _actions(cfg)["evaluate"] == "run"
    _start(cfg, "train-gnn")  # not resumable: runs afresh
    assert _actions(cfg)["train-gnn"] == "run"
    _complete_every_stage(cfg)
    _start(cfg, "rankers")
    changed = _config(tmp_path, evaluation={"nearline_ablation": False}, rankers={"epochs": 2})
    assert _actions(changed)["rankers"] == "run"  # its finished runs were made another way


def test_from_forces_that_stage_and_every_later_one(tmp_path):
    cfg = _config(tmp_path)
    _complete_every_stage(cfg)
    names = [s.name for s in STAGES]
    first = stage_index(names, "features")
    plan = plan_stages(cfg, _stages(cfg), first)
    assert [d.action for d in plan] == ["reuse"] * first + ["run"] * (len(names) - first)
    assert plan[first].reason == "--from"
    assert stage_index(names, "plan-tasks") == stage_index(names, "Plan Tasks") == 1
    with pytest.raises(UnknownStage, match="no such stage.*plan-tasks, train-gnn"):
        stage_index(names, "train")


def test_a_record_is_written_atomically_as_started_then_complete(tmp_path):
    cfg = _config(tmp_path)
    consumes = Consumes(config=lambda c: ("rankers.epochs",))
    record = start_record(cfg, "plan tasks", consumes, upstream_digest(cfg, ["data"]))
    path = record_path(cfg, "plan tasks")
    assert path.name == "plan-tasks.json"
    assert json.loads(path.read_text())["complete"] is False
    complete_record(cfg, record, consumes, {"seconds": 1.5})
    saved = json.loads(path.read_text())
    assert saved["complete"] is True and saved["stats"] == {"seconds": 1.5}
    assert saved["config"] == {"rankers.epochs": 1}
    assert [p.name for p in path.parent.iterdir()] == ["plan-tasks.json"]  # no temp file left


def test_a_stage_an_earlier_one_ran_again_after_is_not_done_even_across_a_crash(tmp_path):
    cfg = _config(tmp_path)
    _complete_every_stage(cfg)
    # train-gnn ran again (say, with --from train-gnn) and the run was killed in embed
    consumes = dict(_stages(cfg))["train-gnn"]
    complete_record(cfg, _start(cfg, "train-gnn"), consumes, {})
    _start(cfg, "embed")
    assert _first_run(cfg) == "embed"
    # killed before embed started: its old complete record does not count either
    _complete_every_stage(cfg)
    complete_record(cfg, _start(cfg, "train-gnn"), consumes, {})
    assert _first_run(cfg) == "embed"
    assert plan_stages(cfg, _stages(cfg))[3].reason == "an earlier stage ran again since"
