"""Leakage audit: re-check the time rules (docs/time_rules.md) on the artifacts a run produced.

Each check reads files (never a stage's memory) and says what it looked at:
- gnn_training_window: the GNN's training data ends before t_gnn_end (OUT/gnn/metrics.json);
- embedding_snapshots: every snapshot's graph holds only edges older than the snapshot, and the
  run was not made with the deliberately leaky full-graph option (embeddings_manifest.json);
- embedding_rows: every embedding row's event_timestamp is one of those audited snapshots;
- embeddings_follow_snapshots: job embeddings change between snapshots (a full-graph run's do not);
- features_point_in_time: every joined feature row is not newer than its example;
- windows_disjoint: train, validation and test examples lie in their own, non-overlapping windows;
- test_requests_unseen: no test request appears in training or validation.
An artifact that is missing fails its check: an audit that could not look has not passed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from evaluation.result import AuditCheck, LeakageAudit
from linksage import artifacts
from linksage.config import WindowsSection
from linksage.feature_store.repo import embedding_files
from linksage.timeutil import utc


def check_gnn_training(gnn_dir: Path, t_gnn_end) -> AuditCheck:
    """The GNN's training data ends strictly before t_gnn_end."""
    path = Path(gnn_dir) / "metrics.json"
    name = "gnn_training_window"
    if not path.is_file():
        return AuditCheck(name, False, f"{path} not found: cannot verify")
    value = json.loads(path.read_text()).get("training_data_max_time")
    if value is None:
        return AuditCheck(name, False, f"{path}: no 'training_data_max_time'")
    ok = utc(value) < utc(t_gnn_end)
    return AuditCheck(
        name,
        ok,
        f"training data max time {value} {'<' if ok else '>='} t_gnn_end {utc(t_gnn_end).isoformat()}",
    )


def check_embedding_snapshots(manifest_path: Path) -> AuditCheck:
    """Every snapshot's newest edge is older than the snapshot; the leaky option is off."""
    name = "embedding_snapshots"
    path = Path(manifest_path)
    if not path.is_file():
        return AuditCheck(name, False, f"{path} not found: cannot verify")
    manifest = json.loads(path.read_text())
    problems = []
    if manifest.get("leaky_full_graph"):
        problems.append("LEAKY: embeddings were computed on the full graph (leaky_full_graph=true)")
    snaps = manifest.get("snapshots", [])
    bad = [s for s in snaps if s.get("max_edge_time") and utc(s["max_edge_time"]) >= utc(s["time"])]
    if bad:
        s = bad[0]
        problems.append(
            f"{len(bad)} of {len(snaps)} snapshots hold edges at or after their time, "
            f"e.g. snapshot {s['time']} has an edge at {s['max_edge_time']}"
        )
    if not snaps:
        problems.append("the manifest lists no snapshots")
    detail = "; ".join(problems) or f"{len(snaps)} snapshots, each graph older than its time"
    return AuditCheck(name, not problems, f"{path.name}: {detail}")


def check_embedding_rows(manifest_path: Path, embedding_files: list[Path]) -> AuditCheck:
    """Every embedding row carries the time of an audited snapshot and the manifest's model."""
    name = "embedding_rows"
    if not Path(manifest_path).is_file():
        return AuditCheck(name, False, f"{manifest_path} not found: cannot verify")
    manifest = json.loads(Path(manifest_path).read_text())
    times = {utc(s["time"]) for s in manifest.get("snapshots", [])}
    problems, n_rows = [], 0
    for path in embedding_files:
        if not Path(path).is_file():
            problems.append(f"{path} not found")
            continue
        t = pq.read_table(path, columns=["event_timestamp", "model_version"]).to_pandas()
        n_rows += len(t)
        stamps = pd.to_datetime(t["event_timestamp"], utc=True)
        stray = stamps[~stamps.isin(times)].unique()
        if len(stray):
            problems.append(
                f"{Path(path).name}: {len(stray)} event_timestamps are not snapshots, e.g. {stray[0]}"
            )
        versions = set(t["model_version"].unique()) - {manifest.get("model_version")}
        if versions:
            problems.append(
                f"{Path(path).name}: model_version {sorted(versions)[:3]} not in manifest"
            )
    detail = "; ".join(problems) or f"{n_rows} rows, all stamped with audited snapshot times"
    return AuditCheck(name, not problems, detail)


def check_embeddings_move(job_embeddings: Path) -> AuditCheck:
    """Independent of the manifest's word: honest snapshots see new edges, so some job
    embeddings change from one snapshot to the next. Embeddings identical at every snapshot mean
    one graph served them all (the signature of embedding on the full graph)."""
    name = "embeddings_follow_snapshots"
    path = Path(job_embeddings)
    if not path.is_file():
        return AuditCheck(name, False, f"{path} not found: cannot verify")
    t = pq.read_table(path, columns=["job_id", "embedding", "event_timestamp"]).to_pandas()
    t = t.sort_values(["job_id", "event_timestamp"], kind="stable")
    if t["event_timestamp"].nunique() < 2:
        return AuditCheck(name, True, "a single snapshot: nothing to compare")
    vecs = np.stack(t["embedding"].to_numpy())
    same_job = t["job_id"].to_numpy()[1:] == t["job_id"].to_numpy()[:-1]
    moved = np.any(vecs[1:] != vecs[:-1], axis=1)[same_job]
    if len(moved) == 0:
        return AuditCheck(name, True, "no job appears in two snapshots: nothing to compare")
    share = float(moved.mean())
    detail = f"{path.name}: {share:.1%} of {len(moved):,} consecutive snapshot pairs changed"
    if share == 0:
        detail += " (every job's embedding is identical at every snapshot: one graph for all)"
    return AuditCheck(name, share > 0, detail)


def _read_examples(path: Path) -> pd.DataFrame:
    names = pq.read_schema(path).names
    cols = [c for c in ("split", "request_id", "at") if c in names]
    cols += [c for c in names if c.endswith("__feature_ts")]
    df = pq.read_table(path, columns=cols).to_pandas()
    for c in df.columns:
        if c == "at" or c.endswith("__feature_ts"):
            df[c] = pd.to_datetime(df[c], utc=True)
    return df


def check_examples(example_files: list[Path], windows: WindowsSection) -> list[AuditCheck]:
    """Point-in-time features, disjoint windows and unseen test requests, over every run."""
    w = windows
    bounds = {
        "train": (utc(w.t_train_start), utc(w.t_validation_start)),
        "validation": (utc(w.t_validation_start), utc(w.t_train_end)),
        "test": (utc(w.t_test_start), utc(w.t_test_end)),
    }
    pit, win, unseen = [], [], []
    n_feat = 0
    missing = [str(p) for p in example_files if not Path(p).is_file()]
    for path in example_files:
        if not Path(path).is_file():
            continue
        df = _read_examples(path)
        run = "/".join(Path(path).parts[-4:-1])
        for col in (c for c in df.columns if c.endswith("__feature_ts")):
            newer = df[col].notna() & (df[col] > df["at"])
            n_feat += int(df[col].notna().sum())
            if newer.any():
                row = df.loc[newer].iloc[0]
                pit.append(
                    f"{run}: {int(newer.sum())} rows of {col} newer than the example, e.g. feature {row[col]} > at {row['at']}"
                )
        for split, (lo, hi) in bounds.items():
            at = df.loc[df["split"] == split, "at"]
            out = at[(at < lo) | (at >= hi)]
            if len(out):
                win.append(
                    f"{run}: {len(out)} {split} examples outside [{lo}, {hi}), e.g. {out.iloc[0]}"
                )
        unknown = set(df["split"].unique()) - set(bounds)
        if unknown:
            win.append(f"{run}: unknown split values {sorted(unknown)}")
        test_ids = set(df.loc[df["split"] == "test", "request_id"])
        seen = test_ids & set(df.loc[df["split"] != "test", "request_id"])
        if seen:
            unseen.append(
                f"{run}: {len(seen)} test requests also in train/validation, e.g. {min(seen)}"
            )
    order = [
        w.t_gnn_end,
        w.t_train_start,
        w.t_validation_start,
        w.t_train_end,
        w.t_test_start,
        w.t_test_end,
    ]
    if any(utc(a) > utc(b) for a, b in zip(order, order[1:], strict=False)):
        win.append("config windows are out of order")
    gone = [f"not found: {', '.join(missing)}"] if missing else []
    n = len(example_files) - len(missing)
    return [
        AuditCheck(
            "features_point_in_time",
            not (pit or gone),
            "; ".join(pit + gone)
            or f"{n} runs, {n_feat} joined feature rows, none newer than its example",
        ),
        AuditCheck(
            "windows_disjoint",
            not (win or gone),
            "; ".join(win + gone)
            or f"{n} runs: train, validation and test examples inside their own windows",
        ),
        AuditCheck(
            "test_requests_unseen",
            not (unseen or gone),
            "; ".join(unseen + gone) or f"{n} runs: no test request in train or validation",
        ),
    ]


def audit_run(
    run_dir: Path,
    *,
    windows: WindowsSection,
    repo_dir: Path,
    ranker_runs: list[tuple[str, str, int]],
) -> LeakageAudit:
    """Run every check on a run's artifacts; `ranker_runs` lists (task, arm, seed) to inspect."""
    run_dir, repo_dir = Path(run_dir), Path(repo_dir)
    manifest = artifacts.gnn_dir(run_dir) / artifacts.EMBEDDINGS_MANIFEST
    files = embedding_files(repo_dir)  # the candidate, or once materialized the views' source
    emb = [files["member"], files["job"]]
    examples = [artifacts.run_dir(run_dir, t, a, s) / artifacts.EXAMPLES for t, a, s in ranker_runs]
    checks = [
        check_gnn_training(artifacts.gnn_dir(run_dir), windows.t_gnn_end),
        check_embedding_snapshots(manifest),
        check_embedding_rows(manifest, emb),
        check_embeddings_move(emb[1]),
        *check_examples(examples, windows),
    ]
    return LeakageAudit(checks)
