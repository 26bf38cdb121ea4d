"""Per-task ranker examples from the tables, each inside its split window.

Every example has `split, request_id, member_id, job_id, at, label` (search adds `click`, search
and ebr add `query`). Rules shared by all tasks:

* An example belongs to the split whose window holds its `at` (see `rankers.data.windows`); examples
  outside every window are dropped.
* A label counts only if the event that makes it (apply, click, recruiter answer) happened at or
  after `at` and before the end of the example's own split window, so training labels never come
  from the validation or test windows.
* Where a channel has no impressions, requests are built from that channel's engagements: the
  jobs engaged in one request (engagements sharing a request_id; one engagement alone if it has
  none) plus jobs drawn, with `seed`, among jobs live at the request's time: `negatives_per_request`
  for a training request, `candidates_per_request` for a validation or test request (so that the
  ranking metrics rank a realistic candidate list). Engagements without a request_id form one
  request per member, job and split window (its time: the first of them), with a negative
  synthetic id (-1, -2, ...): a view, a click and an apply of one job are one example labelled
  1, never three requests whose two earlier twins are labelled 0 with the same features.

Tasks: jymbii (jymbii impressions, label apply), search (search impressions with their query,
label apply, `click` = click/save/apply), taj (premium members' applications, label = recruiter
positive_hearing_back; one request per member and split), ebr (applications as retrieval
positives; one request per request_id, the query of its search impression if any).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linksage.config import RankerParams
from linksage.data.tables import Tables
from linksage.tasks import TASKS
from rankers.data.random_negatives import sample_negatives
from rankers.data.windows import SPLITS, SplitWindows

_RANKER = RankerParams()  # the defaults live once, in the config
BASE_COLUMNS = ["split", "request_id", "member_id", "job_id", "at", "label"]


def build_examples(
    task: str,
    tables: Tables,
    windows: SplitWindows,
    *,
    negatives_per_request: int = _RANKER.negatives_per_request,
    candidates_per_request: int = _RANKER.candidates_per_request,
    seed: int = 0,
) -> pd.DataFrame:
    """The examples of one task in all three splits (see the module docstring for the rules)."""
    if task not in TASKS:
        raise ValueError(f"unknown ranker task {task!r}; expected one of {', '.join(TASKS)}")
    if task in ("jymbii", "search"):
        impressions = tables.impressions
        has = impressions is not None and (impressions["channel"] == task).any()
        if has:
            df = _from_impressions(task, impressions, tables.engagements, windows)
        else:
            sampled = {"train": negatives_per_request}
            sampled |= {s: candidates_per_request for s in SPLITS if s != "train"}
            df = _from_engagements(task, tables, windows, sampled, seed)
    elif task == "taj":
        df = _taj(tables, windows)
    else:
        df = _ebr(tables, windows)
    df = df.astype({"request_id": "int64", "member_id": "int64", "job_id": "int64"})
    df["label"] = df["label"].astype("int8")
    df["split"] = pd.Categorical(df["split"], categories=list(SPLITS))
    df = df.sort_values(["split", "at", "request_id", "job_id"], kind="stable")
    return df.reset_index(drop=True)


def downsample_negatives(examples: pd.DataFrame, rate: float, *, seed: int = 0) -> pd.DataFrame:
    """The examples with every positive and a seeded `rate` share of the training negatives;
    validation and test keep every example, so choices and measurements see the true mix.

    Negative downsampling (as in industrial CTR models) cuts the training cost where positives
    are rare; it shifts the predicted probabilities, not the order of a request's candidates,
    and the same rows are kept for every arm and seed."""
    if rate >= 1.0:
        return examples
    rng = np.random.default_rng(seed)
    drop = (examples["split"] == "train").to_numpy() & (examples["label"] == 0).to_numpy()
    drop &= rng.random(len(examples)) >= rate
    return examples.loc[~drop].reset_index(drop=True)


def _windowed(df: pd.DataFrame, windows: SplitWindows) -> pd.DataFrame:
    df = df.copy()
    df["at"] = pd.to_datetime(df["at"], utc=True)
    df["split"] = windows.assign(df["at"])
    df = df[df["split"].notna()].copy()
    df["split_end"] = windows.split_end(df["split"])
    return df


def _observed(events: pd.DataFrame, keys: list[str], rows: pd.DataFrame) -> pd.Series:
    """For each row, whether some event with the same keys happened in [row.at, row.split_end)."""
    if events.empty:
        return pd.Series(False, index=rows.index)
    ev = events[keys + ["at"]].rename(columns={"at": "event_at"})
    ev["event_at"] = pd.to_datetime(ev["event_at"], utc=True)
    joined = rows[keys + ["at", "split_end"]].reset_index().merge(ev, on=keys, how="inner")
    ok = (joined["event_at"] >= joined["at"]) & (joined["event_at"] < joined["split_end"])
    hits = set(joined.loc[ok, "index"])
    return pd.Series(rows.index.isin(list(hits)), index=rows.index)


def _from_impressions(
    task: str, impressions: pd.DataFrame, engagements: pd.DataFrame, windows: SplitWindows
) -> pd.DataFrame:
    imp = impressions[impressions["channel"] == task]
    imp = imp.drop_duplicates(["request_id", "job_id"])
    rows = _windowed(imp, windows)
    keyed = engagements[engagements["request_id"].notna()]
    applies = keyed[keyed["action"] == "apply"]
    rows["label"] = _observed(applies, ["request_id", "job_id"], rows).astype("int8")
    cols = BASE_COLUMNS
    if task == "search":
        clicks = keyed[keyed["action"].isin(["click", "save", "apply"])]
        rows["click"] = _observed(clicks, ["request_id", "job_id"], rows).astype("int8")
        rows["query"] = rows["query"].where(rows["query"].notna(), None)
        cols = cols + ["click", "query"]
    return rows[cols]


def _from_engagements(
    task: str, tables: Tables, windows: SplitWindows, sampled: dict[str, int], seed: int
) -> pd.DataFrame:
    eng = tables.engagements[tables.engagements["channel"] == task].copy()
    eng["request_id"] = _request_ids(eng, windows)
    first = eng.sort_values("at").groupby("request_id", sort=True).first()
    requests = _windowed(first.reset_index()[["request_id", "member_id", "at"]], windows)
    engaged = eng[eng["request_id"].isin(requests["request_id"])]
    pos = engaged.drop_duplicates(["request_id", "job_id"])[["request_id", "job_id"]]
    rows = pos.merge(requests, on="request_id")
    applies = eng[eng["action"] == "apply"]
    rows["label"] = _observed(applies, ["request_id", "job_id"], rows).astype("int8")
    exclude = rows.groupby("request_id")["job_id"].apply(set).to_dict()
    k = requests["split"].map(sampled).to_numpy(dtype=np.int64)
    neg = sample_negatives(requests, exclude, tables.jobs, k, seed)
    parts = [rows[BASE_COLUMNS]] + ([neg[BASE_COLUMNS]] if len(neg) else [])
    out = pd.concat(parts, ignore_index=True)
    if task == "search":
        clicks = eng[eng["action"].isin(["click", "save", "apply"])]
        out["split_end"] = windows.split_end(out["split"])
        out["click"] = _observed(clicks, ["request_id", "job_id"], out).astype("int8")
        out["query"] = None
        out = out.drop(columns="split_end")
    return out


def _request_ids(eng: pd.DataFrame, windows: SplitWindows | None = None) -> pd.Series:
    """The engagement's request_id, or a negative synthetic id for engagements without one:
    with `windows`, one id per (member, job, split window) (module docstring); without, one per
    engagement."""
    ids = eng["request_id"].astype("Int64")
    missing = ids.isna().to_numpy()
    out = ids.to_numpy(dtype=np.int64, na_value=0)
    if windows is None:
        out[missing] = -np.arange(1, int(missing.sum()) + 1, dtype=np.int64)
        return pd.Series(out, index=eng.index)
    loose = eng.loc[missing, ["member_id", "job_id"]].copy()
    loose["split"] = windows.assign(eng.loc[missing, "at"]).fillna("none").to_numpy()
    group = loose.groupby(["member_id", "job_id", "split"], sort=True).ngroup().to_numpy()
    out[missing] = -(group.astype(np.int64) + 1)
    return pd.Series(out, index=eng.index)


def _taj(tables: Tables, windows: SplitWindows) -> pd.DataFrame:
    members = tables.members
    premium = set(members.loc[members["is_premium"].astype(bool), "member_id"])
    eng = tables.engagements
    apps = eng[(eng["action"] == "apply") & eng["member_id"].isin(premium)]
    apps = apps.sort_values("at").drop_duplicates(["member_id", "job_id"])
    rows = _windowed(apps[["member_id", "job_id", "at"]], windows)
    rec = tables.recruiter_actions
    if rec is None:
        rec = pd.DataFrame(columns=["job_id", "member_id", "action", "at"])
    answers = rec[rec["action"] == "positive_hearing_back"]
    rows["label"] = _observed(answers, ["member_id", "job_id"], rows).astype("int8")
    # One request per member and split: "which of my applications will be answered".
    split_index = rows["split"].map({s: i for i, s in enumerate(SPLITS)}).astype("int64")
    rows["request_id"] = -(rows["member_id"].astype("int64") * len(SPLITS) + split_index + 1)
    return rows[BASE_COLUMNS]


def _ebr(tables: Tables, windows: SplitWindows) -> pd.DataFrame:
    eng = tables.engagements
    apps = eng[eng["action"] == "apply"].copy()
    apps["request_id"] = _request_ids(apps)
    apps = apps[apps["job_id"].isin(tables.jobs["job_id"])]
    first_at = apps.groupby("request_id")["at"].transform("min")
    apps["at"] = first_at  # every positive of a request is ranked at the request's time
    apps = apps.drop_duplicates(["request_id", "job_id"])
    rows = _windowed(apps[["request_id", "member_id", "job_id", "at"]], windows)
    rows["label"] = 1
    rows["query"] = None
    imp = tables.impressions
    if imp is not None:
        queries = imp[(imp["channel"] == "search") & imp["query"].notna()]
        queries = queries.drop_duplicates("request_id").set_index("request_id")["query"]
        rows["query"] = rows["request_id"].map(queries)
        rows["query"] = rows["query"].where(rows["query"].notna(), None)
    return rows[BASE_COLUMNS + ["query"]]
