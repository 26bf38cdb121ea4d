"""The quality rules of a retrieval request, compiled over a job corpus.

A job passes when, at the request time `t`:
- it is live: `posted_at <= t < expires_at`;
- its location is the member's, or it is remote;
- its seniority is within +-1 of the member's;
- it shares at least one term (a lower-cased word of its title or of its top skills) with the
  member's title and skills, or with the query when the request has one (search).

`JobRules.removed_by_rule` says what each rule (`RULES`, by name) removes of the live jobs on its
own, for the report (`details.ebr.rules.by_rule`).

`JobRules.rows` gives the passing rows of the whole corpus (what the one-pass search hands the
index as its selector); `JobRules.check` tests given rows (post-filtering, counting violations).
Both apply the same `check`, so the two cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from linksage.data.live_jobs import live_at

REMOTE = "remote"  # the location value of a job anyone may take
# the job features the rules read (feature-store names: `job_profile__<name>`)
JOB_FEATURES = ("posted_at", "expires_at", "seniority", "location", "title", "top_skills")
# The quality rules a live job must pass, in the order they run, and the input-table columns each
# reads (data contract names), so that a report can say which column empties a result.
RULES = {
    "location_or_remote": ("jobs.location", "members.location"),
    "seniority_within_1": ("jobs.seniority", "members.seniority"),
    "shared_term": ("jobs.title", "job_skills.skill", "members.title", "member_skills.skill"),
}
_WORD = re.compile(r"[a-z0-9]+")
_EMPTY = np.zeros(0, dtype=np.int64)


def words(text: object) -> list[str]:
    """Lower-cased alphanumeric words of a text (none for null); skills are `|`-separated."""
    if not isinstance(text, str):
        return []
    return _WORD.findall(text.lower())


def profile_terms(title: object, top_skills: object) -> frozenset[str]:
    """The terms of a profile: the words of its title and of its top skills."""
    return frozenset(words(title)) | frozenset(words(top_skills))


def timestamps_ns(values: Sequence) -> np.ndarray:
    """Timestamps (datetimes, pandas or numpy values) as int64 ns since the epoch, UTC."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    array = values if isinstance(values, pa.Array) else pa.array(values, from_pandas=True)
    if not pa.types.is_timestamp(array.type):
        array = array.cast(pa.timestamp("ns", tz="UTC"))
    out = array.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
    # a missing timestamp never satisfies a live test: posted "never", expired "always"
    return out.fill_null(np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class Request:
    """What the rules need of one request: its time and the member's profile (or query)."""

    at_ns: int
    seniority: int | None
    location: str | None
    terms: frozenset[str]


@dataclass(frozen=True)
class RuleCounts:
    """How many rows pass each rule in turn (for the reason of an empty result)."""

    corpus: int
    live: int
    location: int
    seniority: int
    terms: int

    def reason(self) -> str:
        """One line naming the rule that left nothing (or the empty corpus)."""
        if self.corpus == 0:
            return "the index holds no job"
        steps = [
            ("live at the request time", self.live),
            ("in the member's location or remote", self.location),
            ("within +-1 of the member's seniority", self.seniority),
            ("sharing a title or skill term", self.terms),
        ]
        counts = ", ".join(f"{name}: {n}" for name, n in steps)
        return f"no job passes the rules (of {self.corpus} jobs, {counts})"


class JobRules:
    """The rule attributes of a corpus (row i = job i of the index), compiled for fast masks."""

    def __init__(
        self,
        *,
        posted_ns: np.ndarray,
        expires_ns: np.ndarray,
        seniority: np.ndarray,
        location: Sequence[str | None],
        terms: Sequence[frozenset[str]],
    ):
        self.n = len(posted_ns)
        self.posted_ns = np.asarray(posted_ns, dtype=np.int64)
        self.expires_ns = np.asarray(expires_ns, dtype=np.int64)
        # a missing seniority (-100) is never within +-1 of any member's
        self.seniority = np.nan_to_num(np.asarray(seniority, dtype=np.float64), nan=-100).astype(
            np.int16
        )
        codes, self._locations = _codes([loc or "" for loc in location])
        self.location = codes
        remote = self._locations.get(REMOTE)
        self.remote_rows = np.flatnonzero(codes == remote) if remote is not None else _EMPTY
        # rows per location, sorted: the one-pass mask starts from the member's location rows
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(self._locations) + 1))
        self._rows_of = {
            c: np.sort(order[bounds[c] : bounds[c + 1]]) for c in range(len(bounds) - 1)
        }
        # the terms as CSR rows of term ids (ids in order of first appearance)
        ids: dict[str, int] = {}
        self._term_ids = ids
        lens = np.fromiter(map(len, terms), dtype=np.int64, count=self.n)
        self.term_ptr = np.concatenate([[0], np.cumsum(lens)])
        self.term_idx = np.array([ids.setdefault(w, len(ids)) for t in terms for w in t], np.int64)

    @staticmethod
    def column_names(prefix: str = "job_profile__") -> list[str]:
        """The columns `from_columns` reads."""
        return [prefix + name for name in JOB_FEATURES]

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, Sequence], prefix: str = "job_profile__"
    ) -> JobRules:
        """From feature-store columns `<prefix>posted_at`, `expires_at`, `seniority`,
        `location`, `title`, `top_skills` (a Feast response dict or a DataFrame)."""

        def col(name: str) -> list:
            return list(columns[prefix + name])

        return cls(
            posted_ns=timestamps_ns(col("posted_at")),
            expires_ns=timestamps_ns(col("expires_at")),
            seniority=np.array([np.nan if s is None else s for s in col("seniority")], dtype=float),
            location=col("location"),
            terms=[
                profile_terms(t, s) for t, s in zip(col("title"), col("top_skills"), strict=True)
            ],
        )

    def check(self, rows: np.ndarray, request: Request) -> np.ndarray:
        """Which of `rows` pass every rule for `request` (boolean, aligned with `rows`)."""
        rows = np.asarray(rows, dtype=np.int64)
        left = np.arange(len(rows))
        for test in self._tests(request):  # each rule only on the rows the previous ones kept
            left = left[test(rows[left])]
        ok = np.zeros(len(rows), dtype=bool)
        ok[left] = True
        return ok

    def rows(self, request: Request) -> np.ndarray:
        """Every passing row of the corpus, ascending (the one-pass selector)."""
        code = self._location_code(request.location)
        if code == self._locations.get(REMOTE, -2):
            candidates = self.remote_rows
        else:  # the member's location and the remote jobs: the only rows the place rule keeps
            candidates = np.concatenate([self._rows_of.get(code, _EMPTY), self.remote_rows])
        return np.sort(candidates[self.check(candidates, request)])

    def live_rows(self, at_ns: int) -> np.ndarray:
        """Every row live at `at_ns` (the only rule a `--no-rules` search keeps)."""
        return np.flatnonzero(live_at(self.posted_ns, self.expires_ns, at_ns))

    def removed_by_rule(self, request: Request) -> tuple[int, dict[str, int]]:
        """The rows live at the request, and per rule (`RULES`) how many of them it removes on
        its own (the rules overlap: the counts need not add up)."""
        live = self.live_rows(request.at_ns)
        tests = self._tests(request)[1:]  # the first test is liveness itself
        return len(live), {
            name: int((~test(live)).sum()) for name, test in zip(RULES, tests, strict=True)
        }

    def counts(self, request: Request) -> RuleCounts:
        """Rows left after each rule in turn (live, location, seniority, terms)."""
        rows, left = np.arange(self.n), []
        for test in self._tests(request):
            rows = rows[test(rows)]
            left.append(len(rows))
        return RuleCounts(self.n, *left)

    def _tests(self, request: Request) -> list:
        """The rules as row tests, in the order `counts` reports them (the term test last: it
        is the costliest)."""
        return [
            lambda r: self._live(r, request.at_ns),
            lambda r: self._same_place(r, request.location),
            lambda r: self._near_seniority(r, request.seniority),
            lambda r: self._shares_term(r, request.terms),
        ]

    def _live(self, rows: np.ndarray, at_ns: int) -> np.ndarray:
        return live_at(self.posted_ns[rows], self.expires_ns[rows], at_ns)

    def _near_seniority(self, rows: np.ndarray, seniority: int | None) -> np.ndarray:
        if seniority is None:  # a member without seniority matches none
            return np.zeros(len(rows), dtype=bool)
        return np.abs(self.seniority[rows] - int(seniority)) <= 1

    def _same_place(self, rows: np.ndarray, location: str | None) -> np.ndarray:
        code = self._location_code(location)
        remote = self._locations.get(REMOTE, -1)
        codes = self.location[rows]
        return ((codes == code) & (code >= 0)) | (codes == remote)

    def _location_code(self, location: str | None) -> int:
        """The code of a known, non-empty location; -1 otherwise (an unknown place matches
        only remote jobs)."""
        return self._locations.get(location, -1) if location else -1

    def _shares_term(self, rows: np.ndarray, terms: frozenset[str]) -> np.ndarray:
        ids = [self._term_ids[t] for t in terms if t in self._term_ids]
        if not ids or len(rows) == 0:
            return np.zeros(len(rows), dtype=bool)
        wanted = np.zeros(len(self._term_ids), dtype=bool)
        wanted[ids] = True
        starts = self.term_ptr[rows]
        lens = self.term_ptr[rows + 1] - starts
        # every term of every row, flattened; a hit marks the row it came from
        owner = np.repeat(np.arange(len(rows)), lens)
        flat = np.arange(int(lens.sum())) + np.repeat(starts - (np.cumsum(lens) - lens), lens)
        out = np.zeros(len(rows), dtype=bool)
        out[owner[wanted[self.term_idx[flat]]]] = True
        return out


def _codes(values: list[str]) -> tuple[np.ndarray, dict[str, int]]:
    """Integer codes of strings, and the value -> code map ("" = unknown gets a code too)."""
    uniques, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int32), {str(v): i for i, v in enumerate(uniques)}
