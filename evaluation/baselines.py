"""Non-learned baselines, scored on the same requests and candidates as the arms.

A lift of the GNN arm over the control means little if the control itself does not beat a
baseline that needs no ranker. Each baseline gives every candidate a score from the data tables
alone and is judged on the task's primary metric:

- `popularity`: the job's applies in the ranker's train window [t_train_start, t_train_end)
  (never anything from the test window). For EBR it ranks every job live at the request.
- `item_knn`: the cosine of co-engagement between jobs over the train window (Dacrema et al.
  2019), each candidate scored against the member's engagements strictly before the request
  (point in time); EBR ranks every live job by it (evaluation.collaborative).
- `als`: implicit ALS factors fitted on the same engagements; member factor . job factor.
- `profile_overlap` (jymbii, search, taj): the number of distinct words shared by the member's
  title and skills (search: and the request's query) and the job's title and skills.

Only popularity and item_knn decide credibility (evaluation.verdicts); ALS and the overlap are
reported beside. A baseline the data cannot support is omitted with its reason; what a baseline
had to go without (e.g. skills) is noted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from evaluation.collaborative import (
    Fitted,
    corpus_positions,
    fit_baselines,
    row_scores,
)
from evaluation.corpus import corpus_ranks
from evaluation.metrics import top_k_share
from evaluation.pooled_auc import pooled_auc
from evaluation.task_metrics import MetricSettings, per_request_values
from linksage.data.history import KNN_SHRINK, KNN_TOP_K
from linksage.data.matrix_factorization import ALS_FACTORS
from linksage.data.tables import Tables

DESCRIPTIONS = {
    "popularity": "applies per job in the train window [t_train_start, t_train_end)",
    "item_knn": "cosine of co-engagement over the train window, against the member's "
    "engagements strictly before the request",
    "als": "implicit ALS on the train window's engagements: member factor . job factor",
    "profile_overlap": "words shared by the member's title and skills (search: and the query) "
    "and the job's title and skills",
}


@dataclass
class Baselines:
    """Each baseline's primary metric, the baselines left out (name -> why) and notes."""

    values: dict[str, float] = field(default_factory=dict)
    omitted: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def best(self) -> tuple[str, float] | None:
        """The baseline with the highest primary metric (None when none has a value)."""
        finite = {k: v for k, v in self.values.items() if np.isfinite(v)}
        return max(finite.items(), key=lambda kv: kv[1]) if finite else None


def job_popularity(engagements: pd.DataFrame, start, end) -> pd.Series:
    """Applies per job with start <= at < end (job_id -> count)."""
    e = engagements
    mask = (
        (e["action"] == "apply") & (e["at"] >= pd.Timestamp(start)) & (e["at"] < pd.Timestamp(end))
    )
    return e.loc[mask, "job_id"].value_counts().astype(np.float64)


def _tokens(ids: pd.Series, texts: pd.Series, id_name: str) -> pd.DataFrame:
    """(id, word) pairs: lower-case alphabetic words of each text, deduplicated."""
    words = texts.fillna("").astype(str).str.lower().str.findall(r"[a-z]+")
    df = pd.DataFrame({id_name: ids.to_numpy(), "token": words.to_numpy()}).explode("token")
    return df.dropna().drop_duplicates()


def _side_tokens(entities: pd.DataFrame, skills: pd.DataFrame | None, id_name: str) -> pd.DataFrame:
    parts = [_tokens(entities[id_name], entities["title"], id_name)]
    if skills is not None:
        parts.append(_tokens(skills[id_name], skills["skill"], id_name))
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def search_queries(impressions: pd.DataFrame | None) -> pd.Series | None:
    """request_id -> the query of its search impressions (None without impressions)."""
    if impressions is None or "query" not in impressions:
        return None
    q = impressions.loc[impressions["query"].notna(), ["request_id", "query"]]
    return q.drop_duplicates("request_id").set_index("request_id")["query"]


def overlap_scores(rows: pd.DataFrame, tables: Tables, queries: pd.Series | None) -> np.ndarray:
    """Per row: distinct words shared by the member's (and the query's) side and the job's."""
    member_side = _side_tokens(tables.members, tables.member_skills, "member_id")
    job_side = _side_tokens(tables.jobs, tables.job_skills, "job_id")
    key = ["request_id", "member_id", "job_id"]
    pairs = rows[key].drop_duplicates()
    left = [pairs.merge(member_side, on="member_id")[key + ["token"]]]
    if queries is not None:
        q = _tokens(pd.Series(queries.index), queries.reset_index(drop=True), "request_id")
        left.append(pairs.merge(q, on="request_id")[key + ["token"]])
    words = pd.concat(left, ignore_index=True).drop_duplicates()
    hits = words.merge(job_side, on=["job_id", "token"]).groupby(key).size()
    return hits.reindex(pd.MultiIndex.from_frame(rows[key])).fillna(0).to_numpy(np.float64)


def _ranking_value(task, rows, scores, primary, settings: MetricSettings) -> float:
    frame = rows[["request_id", "label"]].assign(score=scores)
    values = per_request_values(task, frame, replace(settings, tables=None))
    return float(values[primary].mean()) if primary in values else float("nan")


def _ebr_value(rows, popularity: pd.Series, primary: str, jobs: pd.DataFrame) -> float:
    """Recall@K of ranking every live job by popularity (ties in expectation)."""
    pos = rows.loc[rows["label"] > 0, ["request_id", "job_id", "at"]]
    return _recall_of_positions(
        pos, *corpus_ranks(pos["at"], pos["job_id"], jobs, popularity), primary
    )


def _recall_of_positions(pos: pd.DataFrame, lo, hi, primary: str) -> float:
    """Mean over requests of the share of their positives in the top K, from each positive's
    first and last position among the live jobs (ties in expectation)."""
    if not primary.startswith("recall@"):
        return float("nan")
    k = int(primary.split("@")[1])
    share = pd.Series(top_k_share(lo, hi, k)).groupby(pos["request_id"].to_numpy()).mean()
    return float(share.mean()) if len(share) else float("nan")


def _collaborative(task, rows, primary, settings: MetricSettings, out: Baselines) -> None:
    """item_knn and als on `rows` (EBR: the positives ranked among every live job)."""
    tables = settings.tables
    fitted = fit_baselines(
        tables.engagements, tables.jobs, settings.train_start, settings.train_end
    )
    if fitted is None:
        for name in ("item_knn", "als"):
            out.omitted[name] = "no click, save or apply in the train window"
        return
    pos = rows.loc[rows["label"] > 0, ["request_id", "member_id", "job_id", "at"]]
    for name in ("item_knn", "als"):
        model = getattr(fitted, name)
        if task == "ebr":
            positions = corpus_positions(model, fitted.catalogue, pos)
            out.values[name] = _recall_of_positions(pos, *positions, primary)
        else:
            scores = row_scores(model, fitted.catalogue, rows)
            out.values[name] = _score(task, rows, scores, primary, settings)
    out.notes.update(_collaborative_notes(fitted, rows))


def _collaborative_notes(fitted: Fitted, rows: pd.DataFrame) -> dict[str, str]:
    """What the two scored from: settings, and how many requests' members ALS knows."""
    known = rows["member_id"].isin(fitted.als.members).groupby(rows["request_id"]).first()
    return {
        "item_knn": f"top {KNN_TOP_K} neighbours, shrink {KNN_SHRINK:g}; history: clicks, saves "
        "and applies strictly before each request",
        "als": f"{ALS_FACTORS} factors; a member or job without a click, save or apply in the "
        f"train window scores 0 ({1 - known.mean():.0%} of these requests' members have none)",
    }


def _score_overlap(task, rows, tables, baselines: Baselines):
    """The overlap scores of `rows`, noting what they had to go without."""
    missing = [n for n in ("member_skills", "job_skills") if getattr(tables, n) is None]
    queries = search_queries(tables.impressions) if task == "search" else None
    if task == "search" and queries is None:
        missing.append("impressions (queries)")
    if missing:
        baselines.notes["profile_overlap"] = f"without {', '.join(missing)}: absent"
    return overlap_scores(rows, tables, queries)


def baseline_values(
    task: str, rows: pd.DataFrame, primary: str, settings: MetricSettings
) -> Baselines:
    """Every baseline's primary metric on `rows` (one arm's candidates of the paired requests)."""
    out = Baselines()
    tables = settings.tables
    if tables is None:
        out.omitted = dict.fromkeys(DESCRIPTIONS, "no data tables were given to the evaluation")
        return out
    if settings.train_start is None or settings.train_end is None:
        for name in ("popularity", "item_knn", "als"):
            out.omitted[name] = "the train window is unknown"
    else:
        pop = job_popularity(tables.engagements, settings.train_start, settings.train_end)
        if pop.empty:
            out.omitted["popularity"] = "no apply in the train window"
        elif task == "ebr":
            out.values["popularity"] = _ebr_value(rows, pop, primary, tables.jobs)
        else:
            out.values["popularity"] = _score(task, rows, pop_scores(rows, pop), primary, settings)
        _collaborative(task, rows, primary, settings, out)
    if task == "ebr":
        return out  # overlap over every live job of every request: not computed for retrieval
    scores = _score_overlap(task, rows, tables, out)
    out.values["profile_overlap"] = _score(task, rows, scores, primary, settings)
    return out


def pop_scores(rows: pd.DataFrame, popularity: pd.Series) -> np.ndarray:
    """Each row's job popularity (0 for a job without applies)."""
    return rows["job_id"].map(popularity).fillna(0.0).to_numpy(np.float64)


def _score(task, rows, scores, primary, settings) -> float:
    if task == "taj":
        return pooled_auc(scores, rows["label"].to_numpy())
    return _ranking_value(task, rows, scores, primary, settings)
