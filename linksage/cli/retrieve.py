"""`linksage retrieve`: the top live jobs for one member, the quality rules applied inside the
index's search; and the rules comparison (one pass vs KNN-then-filter vs filter-then-brute-force)
that `linksage evaluate` adds to the EBR section of the report.

The retrieval package never sees TensorFlow: with `--vectors ebr` this module runs the EBR run's
ONNX towers (rankers.serving) over features read from the feature store and hands retrieval the
vectors; with `--vectors gnn` retrieval reads the GNN embeddings from the store itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from linksage import artifacts
from linksage.config import ExperimentConfig, load_config
from linksage.timeutil import ns, ns_array

console = Console()


def ebr_run_dir(config: ExperimentConfig) -> Path:
    """The EBR run whose towers retrieval uses: `retrieval.ebr_arm`, the first evaluation seed."""
    seed = config.evaluation.seeds[0]
    return artifacts.run_dir(config.output_dir, "ebr", config.retrieval.ebr_arm, seed)


def _ebr_service(config: ExperimentConfig):
    """The EBR run's ONNX towers and feature plan (a RetrievalInputError when not trained)."""
    from retrieval.store import RetrievalInputError

    run_dir = ebr_run_dir(config)
    if not (run_dir / "job_tower.onnx").is_file():
        raise RetrievalInputError(
            f"--vectors ebr: no trained EBR run at {run_dir} (run `linksage train-ranker --task "
            f"ebr --arm {config.retrieval.ebr_arm}`, or use --vectors gnn)"
        )
    from rankers.serving import RankerService

    feast = config.feast
    return RankerService(
        run_dir,
        feast.repo_dir,
        online_store=feast.online_store,
        redis_connection_string=feast.redis_connection_string,
    )


def retrieve_from_config(
    config: ExperimentConfig,
    *,
    member_id: int,
    at_ns: int,
    query: str | None = None,
    k: int | None = None,
    use_rules: bool = True,
    vectors: str | None = None,
):
    """One retrieval request with the config's store, index and vectors (EBR towers or GNN
    embeddings); returns a `retrieval.Retrieved`."""
    from linksage.feature_store import open_store
    from retrieval.serve import empty, retrieve_among, retrieve_gnn
    from retrieval.store import live_job_ids, read_member

    r, feast = config.retrieval, config.feast
    k, vectors = k or r.k, vectors or r.vectors
    store = open_store(
        feast.repo_dir,
        online_store=feast.online_store,
        redis_connection_string=feast.redis_connection_string,
    )
    common = dict(k=k, use_rules=use_rules, params=r.params())
    if vectors == "gnn":
        return retrieve_gnn(store, member_id, at_ns, query=query, **common)
    member = read_member(store, member_id, vector_view=None)
    ids = live_job_ids(store, at_ns)
    if len(ids) == 0:
        return empty("no job is live at the request time")
    service = _ebr_service(config)
    frame = service.features(member_id, ids, query)
    member_vector = service.member_vectors(frame.head(1))[0]
    return retrieve_among(
        ids, service.job_vectors(frame), frame, member.request(at_ns, query), member_vector,
        **common,
    )  # fmt: skip


def rules_comparison_from_config(config: ExperimentConfig) -> dict | None:
    """The three ways of applying the rules on the EBR run's test requests (their applies as
    the relevant jobs), each day's live corpus in its own index; None without an EBR run or
    test requests. Vectors: the run's towers over the point-in-time features it trained on."""
    run_dir = ebr_run_dir(config)
    if not all((run_dir / f).is_file() for f in (artifacts.EXAMPLES, "job_tower.onnx")):
        return None  # no trained EBR run with its towers: the report has no rules table
    examples = pd.read_parquet(run_dir / artifacts.EXAMPLES)
    test = examples[examples["split"] == "test"].reset_index(drop=True)
    if test.empty:
        return None
    from linksage.data.datasource import load_tables
    from rankers.data.frames import corpus_frame, training_frame
    from rankers.training.retrieval import BUCKET
    from retrieval import compare_ways

    service = _ebr_service(config)
    repo, fs = config.feast.repo_dir, service.feature_service
    test["bucket"] = pd.to_datetime(test["at"], utc=True).dt.floor(BUCKET)
    cols = ["request_id", "member_id", "job_id", "at"] + (["query"] if "query" in test else [])
    requests = training_frame(repo, test.drop_duplicates("request_id")[cols], fs, task="ebr")
    requests["bucket"] = pd.to_datetime(requests["at"], utc=True).dt.floor(BUCKET)
    tables = load_tables(config.data, config.data_dir, validate=False)
    buckets = sorted(requests["bucket"].unique())
    corpus = corpus_frame(repo, tables.jobs, buckets, fs, extra_jobs=test[["job_id", "bucket"]])
    if corpus.empty:
        return None
    member_vectors = service.member_vectors(requests)
    job_vectors = service.job_vectors(corpus)
    groups = _groups(config, requests, member_vectors, corpus, job_vectors, test)
    r = config.retrieval
    out = compare_ways(groups, k=r.k, overfetch=r.overfetch)
    return {"arm": r.ebr_arm, "seed": config.evaluation.seeds[0], "index": r.kind, **out}


def _groups(
    config: ExperimentConfig,
    requests: pd.DataFrame,
    member_vectors: np.ndarray,
    corpus: pd.DataFrame,
    job_vectors: np.ndarray,
    test: pd.DataFrame,
) -> Iterator:
    """One `retrieval.Group` per day: that day's corpus rows indexed, its requests (member
    features as of the request) and each request's applied jobs."""
    from retrieval import Group, JobIndex, JobRules
    from retrieval.store import MEMBER_FEATURES, Member

    applied = test.groupby("request_id")["job_id"].apply(list).to_dict()
    rows_of_day = corpus.groupby("bucket").indices
    at_ns = ns_array(requests["at"])
    for bucket, req_rows in requests.groupby("bucket").indices.items():
        rows = rows_of_day.get(bucket, np.zeros(0, dtype=np.int64))
        day = corpus.iloc[rows]
        position = {int(j): i for i, j in enumerate(day["job_id"])}
        reqs, wanted = [], []
        for i in req_rows:
            row = requests.iloc[i]
            profile = {f: _value(row[f"member_profile__{f}"]) for f in MEMBER_FEATURES}
            member = Member(int(row["member_id"]), **profile, vector=None)
            query = _value(row["query"]) if "query" in row else None
            reqs.append(member.request(int(at_ns[i]), query))
            # an applied job missing from the day's corpus cannot be found (-1): a miss
            jobs = applied.get(row["request_id"], [])
            wanted.append(np.array([position.get(j, -1) for j in jobs], dtype=np.int64))
        index = JobIndex(job_vectors[rows], config.retrieval.params())
        yield Group(index, JobRules.from_columns(day), reqs, member_vectors[req_rows], wanted)


def _value(x):
    """A feature value, None for a missing one (NaN, NaT, None)."""
    return None if x is None or (not isinstance(x, str) and pd.isna(x)) else x


def _request_time(at: str | None) -> int:
    from retrieval.store import RetrievalInputError

    if at is None:
        return ns(pd.Timestamp.now(tz="UTC"))
    try:
        return ns(at)
    except (ValueError, TypeError):
        raise RetrievalInputError(
            f"--at {at!r}: not a time (ISO-8601, e.g. 2026-03-20T12:00Z)"
        ) from None


def retrieve(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    member: int = typer.Option(..., "--member", help="The member's id."),
    query: str | None = typer.Option(None, "--query", help="Search query (job search)."),
    k: int | None = typer.Option(None, "--k", help="How many jobs (default retrieval.k)."),
    no_rules: bool = typer.Option(False, "--no-rules", help="Live jobs only, no quality rules."),
    at: str | None = typer.Option(None, "--at", help="Request time, ISO-8601 (default: now)."),
    vectors: str | None = typer.Option(
        None, "--vectors", help="ebr or gnn (default retrieval.vectors)."
    ),
) -> None:
    """The top live jobs for a member from the feature store's vectors, quality rules applied
    in the index's search (live, location or remote, seniority +-1, a shared term)."""
    from retrieval.store import RetrievalInputError

    if vectors not in (None, "ebr", "gnn"):
        raise RetrievalInputError(f"--vectors {vectors!r}: expected ebr or gnn")
    if k is not None and k < 1:
        raise RetrievalInputError(f"--k {k}: must be at least 1")
    cfg = load_config(config)
    at_ns = _request_time(at)
    result = retrieve_from_config(
        cfg, member_id=member, at_ns=at_ns, query=query, k=k, use_rules=not no_rules,
        vectors=vectors,
    )  # fmt: skip
    when = pd.Timestamp(at_ns, tz="UTC").isoformat()
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    if result.reason:
        message = f"member {member} at {when}: no results: {result.reason}"
        console.print(message, highlight=False, soft_wrap=True)
        return
    passing = "" if result.n_passing is None else f", {result.n_passing} pass the rules"
    table = Table(title=f"member {member} at {when}: {result.n_live} live jobs{passing}")
    for column in ("rank", "job_id", "score"):
        table.add_column(column, justify="right")
    for i, (job, score) in enumerate(zip(result.job_ids, result.scores, strict=True)):
        table.add_row(str(i + 1), str(job), f"{score:.4f}")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the retrieval command to the CLI."""
    app.command("retrieve")(retrieve)
