"""Frozen embeddings at snapshot times -> the Feast repo's parquet files, plus the ONNX encoders.

For each snapshot time s the graph holds only rows with timestamp < s, every neighbour list is
capped at the checkpoint's `neighbour_cap` most recent entries, and layer-wise inference embeds
every member and job that exists at s: members created before s, jobs posted before s (expired
jobs included, so a ranker can still join them; jobs posted at or after s get no row for s —
they appear from the first snapshot after their posting, embedded from their attribute
neighbours alone: inductive, no retraining).

With ``leaky_full_graph`` (config ``evaluation.LEAKY_embed_on_full_graph``) every snapshot is
embedded from the graph of ALL rows before t_test_end. This is deliberately leaky; the manifest
records the real ``max_edge_time`` so that the leakage audit catches it.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from gnn_encoder.checkpoint import load_checkpoint
from gnn_encoder.decoders import frozen_decoder
from gnn_encoder.features import feature_dims
from gnn_encoder.graph import build_graph
from gnn_encoder.inference import embed_graph
from gnn_encoder.onnx_export import export_ego_onnx, write_id_maps_file
from linksage import artifacts
from linksage.data.tables import Tables
from linksage.feature_store.decoder import write_decoder
from linksage.feature_store.embeddings import embeddings_table, with_feature_ts
from linksage.io import atomic_write_text, write_parquet


def _stacked(id_column: str, acc: tuple[list, list, list], version: str, dim: int) -> pa.Table:
    """Every snapshot's (ids, vectors) as one embeddings table stamped with its snapshot time."""
    ids, vectors, times = acc
    return embeddings_table(
        id_column=id_column,
        ids=np.concatenate(ids) if ids else np.zeros(0, np.int64),
        vectors=np.concatenate(vectors) if ids else np.zeros((0, dim), np.float32),
        event_timestamps=np.repeat(
            np.asarray([pd.Timestamp(t).value for t in times], np.int64).astype("datetime64[ns]"),
            [len(i) for i in ids],
        ),
        model_version=version,
    )


def embed_snapshots(
    *,
    tables: Tables,
    checkpoint_path: Path | str,
    snapshot_times: list[datetime],
    repo_data_dir: Path | str,
    gnn_dir: Path | str,
    leaky_full_graph: bool = False,
    full_graph_end: datetime | None = None,
    device: str = "cpu",
    export_onnx: bool = True,
    progress: bool = True,
) -> dict:
    """Embed every member and job at each snapshot; write the two parquet files, the manifest
    and (by default) the ONNX ego encoders. Returns the manifest."""
    ckpt = load_checkpoint(checkpoint_path)
    gkw = {"id_maps": ckpt.id_maps, "top_skills": ckpt.top_skills, "skill_nodes": ckpt.skill_nodes}
    dim = ckpt.encoder_kwargs["embedding_dim"]
    if leaky_full_graph:
        full = _leaky_full_graph(tables, ckpt, gkw, full_graph_end, device)
    members, jobs, snaps = ([], [], []), ([], [], []), []
    for s in tqdm(snapshot_times, desc="embed snapshots", disable=not progress):
        s = pd.Timestamp(s)
        if leaky_full_graph:
            graph, emb, m_keep, j_keep = _existing_at(tables, *full, s)
        else:
            graph = build_graph(tables, time=s, **gkw)
            emb = embed_graph(ckpt.encoder, graph, cap=ckpt.neighbour_cap, device=device)
            m_keep = np.ones(len(graph.member_ids), bool)
            j_keep = np.ones(len(graph.job_ids), bool)
        for acc, ids, e, keep in (
            (members, graph.member_ids, emb["member"], m_keep),
            (jobs, graph.job_ids, emb["job"], j_keep),
        ):
            acc[0].append(ids[keep]), acc[1].append(e[keep]), acc[2].append(s)
        met = graph.max_edge_time
        snaps.append(
            {
                "time": s.isoformat(),
                "max_edge_time": met.isoformat() if met is not None else None,
                "n_members": int(m_keep.sum()),
                "n_jobs": int(j_keep.sum()),
            }
        )
    repo = Path(repo_data_dir)
    # the candidates `linksage materialize` checks, then renames onto the GNN views' sources:
    # written with `feature_ts` already, so publishing them copies nothing
    for entity, acc in (("member", members), ("job", jobs)):
        table = _stacked(f"{entity}_id", acc, ckpt.model_version, dim)
        write_parquet(with_feature_ts(table), repo / f"{entity}_embeddings.parquet")
    # the affinity the GNN learned, for the rankers to use as it was trained (not a dot product)
    write_decoder(repo, frozen_decoder(ckpt.decoder, ckpt.model_version))
    manifest = {
        "model_version": ckpt.model_version,
        "embedding_dim": dim,
        "leaky_full_graph": bool(leaky_full_graph),
        "neighbour_cap": ckpt.neighbour_cap,
        "snapshots": snaps,
    }
    gnn_dir = Path(gnn_dir)
    if export_onnx:
        _export_encoders(ckpt, gnn_dir)
    atomic_write_text(gnn_dir / artifacts.EMBEDDINGS_MANIFEST, json.dumps(manifest, indent=2))
    return manifest


def _leaky_full_graph(tables: Tables, ckpt, gkw: dict, full_graph_end, device: str):
    """The deliberately leaky mode: one graph (and its embeddings) including the test window."""
    print(
        "WARNING: evaluation.LEAKY_embed_on_full_graph is ON — every snapshot is embedded "
        "from the graph INCLUDING the test window. These embeddings leak future edges; "
        "results are not valid. The leakage audit must fail this run.",
        file=sys.stderr,
        flush=True,
    )
    if full_graph_end is None:
        raise ValueError("leaky_full_graph needs full_graph_end (t_test_end)")
    full = build_graph(tables, time=full_graph_end, **gkw)
    return full, embed_graph(ckpt.encoder, full, cap=ckpt.neighbour_cap, device=device)


def _existing_at(tables: Tables, graph, emb: dict, s: pd.Timestamp):
    """The full graph's embeddings, kept for the members and jobs that exist at `s`."""
    created = tables.members.set_index("member_id").loc[graph.member_ids, "created_at"]
    posted = tables.jobs.set_index("job_id").loc[graph.job_ids, "posted_at"]
    m_keep = pd.to_datetime(created, utc=True).to_numpy() < s
    j_keep = pd.to_datetime(posted, utc=True).to_numpy() < s
    return graph, emb, m_keep, j_keep


def _export_encoders(ckpt, gnn_dir: Path) -> None:
    """The member and job ego-graph encoders as ONNX (what the nearline worker runs), and the
    id maps file beside them (so the worker never opens the torch checkpoint)."""
    dims = feature_dims(ckpt.id_maps)
    for target in ("member", "job"):
        export_ego_onnx(
            ckpt.encoder,
            gnn_dir / f"encoder_{target}.onnx",
            target_type=target,
            cap=ckpt.neighbour_cap,
            feature_dims=dims,
            skill_nodes=ckpt.skill_nodes,
        )
    write_id_maps_file(
        gnn_dir, ckpt.id_maps, top_skills=ckpt.top_skills, model_version=ckpt.model_version
    )
