"""`linksage replay` and `linksage nearline` end to end: file source, real ONNX, real Feast."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from linksage.cli.app import app
from tests.support.nearline import NEARLINE_CAP, batch_embeddings

runner = CliRunner()


def _online(repo_dir, entity: str, ids: list[int]) -> dict[int, np.ndarray]:
    from linksage.feature_store import open_store

    store = open_store(repo_dir)
    rows = store.get_online_features(
        features=[f"{entity}_gnn:embedding"], entity_rows=[{f"{entity}_id": i} for i in ids]
    ).to_dict()
    return {i: np.asarray(v, np.float32) for i, v in zip(ids, rows["embedding"], strict=True) if v}


def test_file_source_end_to_end_equals_batch_snapshot(nearline_experiment, tmp_path):
    """Replay every test-window event before s into a file, run the worker (ego refresh) until
    idle: each touched job's (and member's) online embedding equals `linksage embed`'s at s."""
    from gnn_encoder.checkpoint import load_checkpoint
    from linksage.data.tables import read_tables

    path, cfg = nearline_experiment
    s = cfg.windows.t_test_start + pd.Timedelta(days=3)
    events = tmp_path / "events.jsonl"
    result = runner.invoke(
        app, ["replay", "--config", str(path), "--rate", "1000000", "--end", s.isoformat()]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    assert lines and all(pd.Timestamp(x["at"]) < s for x in lines)
    with events.open("a") as f:
        f.write("{not json\n")
        engagement = next(x for x in reversed(lines) if "job_id" in x and "member_id" in x)
        f.write(json.dumps({**engagement, "member_id": 10**9}) + "\n")  # unknown member
    stats = tmp_path / "stats.json"
    result = runner.invoke(
        app,
        [
            "nearline",
            "--config",
            str(path),
            "--refresh",
            "ego",
            "--until-idle",
            "--stats",
            str(stats),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(stats.read_text())
    assert summary["events"] == len(lines) + 2
    assert summary["dead_lettered"] == 2
    dead = [
        json.loads(x) for x in (tmp_path / "events.jsonl.deadletter.jsonl").read_text().splitlines()
    ]
    assert "not valid JSON" in dead[0]["reason"] and "unknown member" in dead[1]["reason"]

    ckpt = load_checkpoint(cfg.output_dir / "gnn" / "checkpoint.pt")
    tables = read_tables(cfg.data_dir, validate=False)
    batch = batch_embeddings(ckpt.encoder, tables, ckpt.id_maps, time=s, cap=NEARLINE_CAP)
    touched_jobs = sorted(
        {
            x["job_id"]
            for x in lines
            if "job_id" in x
            and x["type"] != "engagement"
            or x.get("action") in ("click", "save", "apply")
        }
    )
    touched_members = sorted(
        {
            x["member_id"]
            for x in lines
            if "member_id" in x and x.get("action") not in ("view", "dismiss")
        }
    )
    assert len(touched_jobs) >= 5
    daily = batch_embeddings(
        ckpt.encoder, tables, ckpt.id_maps, time=cfg.windows.t_test_start, cap=NEARLINE_CAP
    )
    for entity, ids in (("job", touched_jobs), ("member", touched_members)):
        online = _online(cfg.feast.repo_dir, entity, ids)
        assert len(online) >= len(ids) // 2
        for i in ids:
            if i in online:
                np.testing.assert_allclose(
                    online[i], batch[(entity, i)], atol=1e-4, err_msg=f"{entity} {i}"
                )
            else:  # not re-embedded: its events changed no list, the daily row is still exact
                np.testing.assert_allclose(daily[(entity, i)], batch[(entity, i)], atol=1e-4)

    # a restart reads nothing new: every line was acknowledged
    result = runner.invoke(
        app, ["nearline", "--config", str(path), "--until-idle", "--stats", str(stats)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(stats.read_text())["events"] == 0


def test_bad_source_is_refused_cleanly(nearline_experiment):
    path, _ = nearline_experiment
    result = runner.invoke(app, ["nearline", "--config", str(path), "--source", "kafka://x"])
    assert result.exit_code == 2
    assert "--source" in result.output
