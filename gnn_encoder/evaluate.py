"""Offline link-prediction quality of the frozen encoder against two baselines.

Future applies (``start <= at < end``, i.e. after t_gnn_end, in the ranker windows) are ranked
among the jobs live at the apply time (posted_at <= at < expires_at, plus the applied job).
Scores come from a snapshot graph at the start of each `step_days` slice (edges strictly before
it; jobs and members created during the slice are nodes with their attribute edges only, so new
jobs are scored inductively). Models compared:

- the GNN (encoder + its decoder);
- ``no_message_passing``: the same decoder trained on the node's own features only;
- ``popularity``: the job's number of click/save/apply edges in the snapshot graph.

Per apply: rank = 1 + #(live jobs scored higher) + #ties / 2 (random tie-break in expectation),
AUC = 1 - (#higher + #ties / 2) / (#live - 1); metrics are means over applies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from gnn_encoder.decoders import score_matrix
from gnn_encoder.graph import build_graph
from gnn_encoder.id_maps import IdMaps
from gnn_encoder.inference import embed_graph
from gnn_encoder.labels import job_lifetimes
from linksage.data.live_jobs import live_at
from linksage.data.tables import Tables
from linksage.timeutil import ns, ns_array

POPULARITY = "popularity"


def _apply_events(tables: Tables, start, end) -> pd.DataFrame:
    eng = tables.engagements
    at = pd.to_datetime(eng["at"], utc=True)
    eng = eng[
        (eng["action"] == "apply").to_numpy() & (at >= start).to_numpy() & (at < end).to_numpy()
    ]
    eng = eng.assign(t=ns_array(eng["at"])).sort_values("t")
    return eng.drop_duplicates(["member_id", "job_id"])


def link_prediction_metrics(
    *,
    tables: Tables,
    id_maps: IdMaps,
    models: dict[str, tuple[torch.nn.Module, torch.nn.Module] | str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    top_skills: int,
    skill_nodes: bool,
    cap: int,
    step_days: float = 7.0,
    ks: tuple[int, ...] = (10, 50, 100),
    max_applies: int = 2000,
    seed: int = 0,
    device: str = "cpu",
) -> dict:
    """{"n_applies", "window", "models": {name: {"auc", "recall@k"...}}}. `models` maps a name to
    (encoder, decoder) or to "popularity"."""
    applies = _apply_events(tables, start, end)
    if len(applies) > max_applies:
        applies = applies.sample(max_applies, random_state=seed).sort_values("t")
    step = pd.Timedelta(days=step_days)
    per_model: dict[str, list[np.ndarray]] = {name: [] for name in models}  # (higher, ties, n)
    s = pd.Timestamp(start)
    while s < end:
        e = min(s + step, pd.Timestamp(end))
        chunk = applies[(applies["t"] >= ns(s)) & (applies["t"] < ns(e))]
        if len(chunk):
            graph = build_graph(
                tables,
                time=s,
                id_maps=id_maps,
                top_skills=top_skills,
                skill_nodes=skill_nodes,
                node_time=e,
            )
            mi = graph.index_of("member", chunk["member_id"].to_numpy(np.int64))
            ji = graph.index_of("job", chunk["job_id"].to_numpy(np.int64))
            ok = (mi >= 0) & (ji >= 0)
            mi, ji, t = mi[ok], ji[ok], chunk["t"].to_numpy()[ok]
            posted, expires = job_lifetimes(tables, graph)
            uniq, inv = np.unique(mi, return_inverse=True)
            for name, model in models.items():
                if model == POPULARITY:
                    pop = graph.relations[("member", "engaged", "job")].degrees().astype(np.float32)
                    scores = np.broadcast_to(pop, (len(uniq), len(pop)))
                else:
                    encoder, decoder = model
                    emb = embed_graph(encoder, graph, cap=cap, device=device)
                    m = torch.from_numpy(emb["member"][uniq])
                    j = torch.from_numpy(emb["job"])
                    scores = score_matrix(decoder.eval().cpu(), m, j).numpy()
                per_model[name].append(_rank_stats(scores[inv], ji, t, posted, expires))
        s = e
    out = {
        "n_applies": int(sum(len(v) for v in next(iter(per_model.values()), []))),
        "window": [pd.Timestamp(start).isoformat(), pd.Timestamp(end).isoformat()],
        "step_days": step_days,
        "models": {},
    }
    for name, parts in per_model.items():
        if not parts:
            out["models"][name] = {}
            continue
        stats = np.concatenate(parts)
        higher, ties, n_live = stats[:, 0], stats[:, 1], stats[:, 2]
        rank = 1 + higher + ties / 2
        row = {"auc": float(np.mean(1 - (higher + ties / 2) / np.maximum(n_live - 1, 1)))}
        for k in ks:
            row[f"recall@{k}"] = float(np.mean(rank <= k))
        row["mean_live_jobs"] = float(np.mean(n_live))
        out["models"][name] = row
    return out


def _rank_stats(
    scores: np.ndarray, pos_job: np.ndarray, t: np.ndarray, posted: np.ndarray, expires: np.ndarray
) -> np.ndarray:
    """[n, 3]: live jobs scored above the positive, tied with it, and number of live jobs."""
    out = np.zeros((len(pos_job), 3))
    for i in range(len(pos_job)):  # one vectorised row per apply
        live = live_at(posted, expires, t[i])
        live[pos_job[i]] = True
        s = scores[i][live]
        p = scores[i][pos_job[i]]
        out[i] = ((s > p).sum(), (s == p).sum() - 1, live.sum())
    return out
