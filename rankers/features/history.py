"""The member's history as ranker inputs: what the log says before each request, to the second.

Daily profile snapshots miss a member who arrives and engages in a burst; on real logs most test
requests come from such members, and the jobs they engaged minutes earlier are the strongest
signal of what they want next (item-kNN scored on that history beats a control without it). So
both arms of jymbii, search and taj get, per (request, candidate) row:

- `history__engaged`: log(1 + the member's clicks, saves and applies strictly before `at`);
- `history__same_job`: 1 if the member clicked, saved or applied to this job before `at`;
- `history__item_knn`: log(1 + the item-kNN score of the candidate against those engagements):
  the sum of the candidate's co-engagement similarities (linksage.data.history, Dacrema et al.'s
  ItemKNN-CF) to every job the member engaged before `at`.

The gnn arm adds the GNN's view of the same history (`GnnHistoryAffinity`, issue of transfer:
what the embeddings know about a member's recent interest, beside the daily member embedding):

- `history__gnn_max` / `history__gnn_mean`: the largest and the mean cosine between the
  candidate's GNN embedding and the GNN embeddings of the member's last `GNN_HISTORY_LENGTH`
  engaged jobs (each as of the snapshot before its engagement); 0 without history.

No label leaks in: the history is strictly before the request, and the similarity of a row is
fitted on the engagements before its split window starts (train rows: before t_train_start,
validation rows: before the validation slice, test rows: before t_test_start), as a daily batch
would have it, so a training label never shapes its own row's similarity. EBR takes none of them
(its towers take no member-job input).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import sparse

from linksage.data.history import EngagementLog, engagement_matrix, item_similarity
from linksage.data.tables import Tables
from linksage.feature_store import embedding_files
from linksage.feature_store.arm_embeddings import arm_embedding_files
from linksage.timeutil import ns_array
from rankers.data.windows import SplitWindows
from rankers.features.schema import FeatureSpec

HISTORY_ENGAGED = "history__engaged"
HISTORY_SAME_JOB = "history__same_job"
HISTORY_ITEM_KNN = "history__item_knn"
HISTORY_GNN_MAX = "history__gnn_max"
HISTORY_GNN_MEAN = "history__gnn_mean"
HISTORY_TASKS = ("jymbii", "search", "taj")
GNN_HISTORY_LENGTH = 10  # the member's most recent engaged jobs the GNN affinity compares


def history_specs(task: str, *, gnn: bool = False) -> list[FeatureSpec]:
    """The history inputs of a task (module docstring), with the GNN affinity for an arm with
    GNN vectors; none for EBR."""
    if task not in HISTORY_TASKS:
        return []
    specs = [
        FeatureSpec(HISTORY_ENGAGED, "numeric", "member"),
        FeatureSpec(HISTORY_SAME_JOB, "numeric", "pair"),
        FeatureSpec(HISTORY_ITEM_KNN, "numeric", "pair"),
    ]
    if gnn:
        specs += [
            FeatureSpec(HISTORY_GNN_MAX, "numeric", "pair", gnn=True),
            FeatureSpec(HISTORY_GNN_MEAN, "numeric", "pair", gnn=True),
        ]
    return specs


def history_for(
    task: str,
    tables: Tables,
    windows: SplitWindows,
    specs: list[FeatureSpec],
    repo_dir,
    enabled: bool = True,
) -> HistoryFeatures | None:
    """The task's history features, with the GNN affinity when `specs` (the feature service's)
    hold a job GNN vector (read from the repo's job embeddings); None for a task without them,
    or when not `enabled` (`rankers.history_features`)."""
    if not enabled or not history_specs(task):
        return None
    job_vectors = [s.name for s in specs if s.kind == "vector" and s.side == "job" and s.gnn]
    if not job_vectors:
        return HistoryFeatures(tables, windows)
    view = job_vectors[0].split("__")[0]  # job_gnn, or an arm's own (job_mf, job_oracle)
    arm = view.removeprefix("job_")
    path = (
        embedding_files(repo_dir)["job"]
        if arm == "gnn"
        else arm_embedding_files(repo_dir, arm)["job"]
    )
    return HistoryFeatures(tables, windows, job_embeddings=path, job_vector=job_vectors[0])


class HistoryFeatures:
    """Adds the history columns to a frame of (split, member_id, job_id, at) rows."""

    def __init__(
        self,
        tables: Tables,
        windows: SplitWindows,
        *,
        job_embeddings: Path | None = None,
        job_vector: str | None = None,
    ):
        """`job_embeddings` (an embeddings parquet) and `job_vector` (the frame's column of the
        candidate's GNN vector): the gnn arm's affinity columns too."""
        engagements = tables.engagements
        jobs = np.union1d(tables.jobs["job_id"].to_numpy(), engagements["job_id"].unique())
        self.job_index = pd.Index(jobs)
        self.engagements = engagements
        self.log = EngagementLog(engagements, self.job_index)
        self.split_start = {split: start for split, (start, _) in windows.bounds().items()}
        self._similarity: dict[pd.Timestamp, sparse.csr_matrix] = {}
        self.job_vector = job_vector
        self.history_vectors = None
        if job_embeddings is not None:
            self.history_vectors = _vectors_at_engagement(self.log, self.job_index, job_embeddings)

    def specs(self, task: str) -> list[FeatureSpec]:
        """The inputs this history adds to `task`'s model (with the GNN affinity if it has it)."""
        return history_specs(task, gnn=self.history_vectors is not None)

    def similarity_before(self, cutoff: pd.Timestamp) -> sparse.csr_matrix:
        """Candidate x history job similarity (S transposed: row = candidate) fitted on the
        engagements strictly before `cutoff`; computed once per cutoff."""
        if cutoff not in self._similarity:
            x, _ = engagement_matrix(self.engagements, self.job_index, None, cutoff)
            self._similarity[cutoff] = item_similarity(x).T.tocsr()
        return self._similarity[cutoff]

    def add(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` with the history columns (a copy): three, and the GNN affinity's two when this
        history has the job vectors."""
        out = frame.copy()
        engaged = np.zeros(len(out), np.float32)
        same = np.zeros(len(out), np.float32)
        knn = np.zeros(len(out), np.float32)
        splits = out["split"].astype(str).to_numpy()
        for split in np.unique(splits):
            rows = np.flatnonzero(splits == split)
            part = out.iloc[rows]
            history = self.log.matrix(part["member_id"].to_numpy(), ns_array(part["at"]))
            cand = self.job_index.get_indexer(part["job_id"].to_numpy())
            engaged[rows] = np.log1p(np.asarray(history.sum(axis=1)).ravel())
            known = np.flatnonzero(cand >= 0)  # a job outside the index has no history link
            same[rows[known]] = np.asarray(history[known, cand[known]]).ravel()
            sim = self.similarity_before(self.split_start[split])[cand[known]]
            score = np.asarray(sim.multiply(history[known]).sum(axis=1)).ravel()
            knn[rows[known]] = np.log1p(score)
        out[HISTORY_ENGAGED], out[HISTORY_SAME_JOB], out[HISTORY_ITEM_KNN] = engaged, same, knn
        if self.history_vectors is not None:
            out[HISTORY_GNN_MAX], out[HISTORY_GNN_MEAN] = self._gnn_affinity(out)
        return out

    def for_request(
        self, member_id: int, at: pd.Timestamp, job_ids: np.ndarray, job_vectors=None
    ) -> dict[str, np.ndarray]:
        """The history columns of one test-window request's candidates, as `add` gives them for
        rows (split "test", member_id, job_id, at), looked up once for the member: the serving
        path, which `add` would cost a pass over the whole log per request. `job_vectors`
        (candidates x dim, zeros where missing): the GNN affinity's, when this history has it."""
        lo = np.searchsorted(self.log.member, member_id, side="left")
        hi = np.searchsorted(self.log.member, member_id, side="right")
        end = lo + np.searchsorted(self.log.at[lo:hi], ns_array([at])[0], side="left")
        engaged = np.unique(self.log.job[lo:end])
        engaged = engaged[engaged >= 0]
        cand = self.job_index.get_indexer(np.asarray(job_ids))
        known = cand >= 0
        same = np.zeros(len(cand), np.float32)
        same[known] = np.isin(cand[known], engaged)
        knn = np.zeros(len(cand), np.float32)
        sim = self.similarity_before(self.split_start["test"])[cand[known]][:, engaged]
        knn[known] = np.log1p(np.asarray(sim.sum(axis=1)).ravel())
        out = {
            HISTORY_ENGAGED: np.full(len(cand), np.log1p(len(engaged)), np.float32),
            HISTORY_SAME_JOB: same,
            HISTORY_ITEM_KNN: knn,
        }
        if self.history_vectors is not None:
            last = self.history_vectors[max(lo, end - GNN_HISTORY_LENGTH) : end]
            last = last[np.abs(last).sum(axis=1) > 0]  # a job with no vector then
            cos = _unit_rows(np.asarray(job_vectors, np.float32)) @ last.T
            zeros = np.zeros(len(cand), np.float32)
            out[HISTORY_GNN_MAX] = cos.max(axis=1).astype(np.float32) if len(last) else zeros
            out[HISTORY_GNN_MEAN] = cos.mean(axis=1).astype(np.float32) if len(last) else zeros
        return out

    def _gnn_affinity(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Max and mean cosine of each row's candidate vector with the vectors of the member's
        last GNN_HISTORY_LENGTH engaged jobs (0 where either side has none)."""
        start, end = self.log.before(frame["member_id"].to_numpy(), ns_array(frame["at"]))
        start = np.maximum(start, end - GNN_HISTORY_LENGTH)
        counts = end - start
        cand = _unit_rows(_stack(frame[self.job_vector], self.history_vectors.shape[1]))
        row = np.repeat(np.arange(len(frame)), counts)
        entry = np.repeat(start - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        cos = np.einsum("ij,ij->i", self.history_vectors[entry], cand[row])
        have = np.abs(self.history_vectors[entry]).sum(axis=1) > 0  # a job with no vector then
        cos = np.where(have, cos, 0.0)
        n = np.bincount(row, weights=have, minlength=len(frame))
        total = np.bincount(row, weights=cos, minlength=len(frame))
        best = np.full(len(frame), -np.inf)
        np.maximum.at(best, row[have], cos[have])
        best = np.where(n > 0, best, 0.0).astype(np.float32)
        mean = np.where(n > 0, total / np.maximum(n, 1), 0.0).astype(np.float32)
        return best, mean


def _stack(column: pd.Series, dim: int) -> np.ndarray:
    """A column of vectors (None: missing) as an [n, dim] float32 array, zeros where missing."""
    out = np.zeros((len(column), dim), np.float32)
    for i, value in enumerate(column):
        if value is not None and not (isinstance(value, float) and np.isnan(value)):
            out[i] = value
    return out


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(norms > 0, x / np.maximum(norms, 1e-12), 0.0).astype(np.float32)


def _vectors_at_engagement(log: EngagementLog, job_index: pd.Index, path: Path) -> np.ndarray:
    """For each log entry, its job's unit GNN vector from the newest snapshot at or before the
    engagement (zeros: none yet), float32 [len(log), dim]."""
    table = pq.read_table(path, columns=["job_id", "embedding", "event_timestamp"])
    ids = table.column("job_id").to_numpy()
    ts = table.column("event_timestamp").cast(pa.timestamp("ns", tz="UTC")).to_numpy()
    flat = table.column("embedding").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    vectors = _unit_rows(flat.reshape(len(ids), -1).astype(np.float32))
    cols = job_index.get_indexer(ids).astype(np.int64)
    # one sorted key for (job, time) over the snapshot rows and the log entries together: the
    # newest snapshot row of an entry's job at or before its time is one searchsorted away
    _, rank = np.unique(np.concatenate([ts.astype(np.int64), log.at]), return_inverse=True)
    span = np.int64(rank.max() + 2)
    snap_key = cols * span + rank[: len(ids)]
    order = np.argsort(snap_key, kind="stable")
    snap_key, vectors = snap_key[order], vectors[order]
    entry_key = log.job.astype(np.int64) * span + rank[len(ids) :]
    pos = np.searchsorted(snap_key, entry_key, side="right") - 1
    ok = (pos >= 0) & (log.job >= 0)
    ok[ok] &= cols[order][pos[ok]] == log.job[ok]
    out = np.zeros((len(log.job), vectors.shape[1]), np.float32)
    out[ok] = vectors[pos[ok]]
    return out
