"""Request-time features computed from a point-in-time joined frame (training) or an online read
(serving), the same way for both (`rankers.data.frames`, `rankers.serving`).

Words are the lower-cased alphanumeric runs (`[a-z0-9]+`) of a text; "|"-joined skills split
into their words.

- search, ebr: `query__words`, the query's words joined by spaces.
- search: `query__title_overlap` / `query__skill_overlap`, the share of the distinct query words
  found in the job's title words / in its top skills' words (0 without a query).
- jymbii, search, taj: `profile__title_overlap` / `profile__skill_overlap`, the number of distinct
  words of the member's title and top skills (`member_profile__title`,
  `member_profile__top_skills`) found in the job's title words / in its top skills' words
  (`job_profile__title`, `job_profile__top_skills`). A count, like the `profile_overlap` baseline
  (evaluation/baselines.py; the model normalizes numeric inputs); 0 when the member or the job has
  no title and skills (or no profile row is visible). Both arms get them; ebr does not (its
  towers take no member-job input).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from rankers.features.schema import (
    PROFILE_OVERLAP_TASKS,
    PROFILE_SKILL_OVERLAP,
    PROFILE_TITLE_OVERLAP,
    QUERY_SKILL_OVERLAP,
    QUERY_TITLE_OVERLAP,
    QUERY_WORDS,
)

JOB_TITLE = "job_profile__title"
JOB_SKILLS = "job_profile__top_skills"
MEMBER_TITLE = "member_profile__title"
MEMBER_SKILLS = "member_profile__top_skills"
_WORD = re.compile(r"[a-z0-9]+")


def words(text: object) -> list[str]:
    """Lower-cased alphanumeric words of a text (none for null)."""
    if not isinstance(text, str):
        return []
    return _WORD.findall(text.lower())


def query_words(tokens: list[str]) -> str:
    """The `query__words` value of a query's words."""
    return " ".join(tokens)


def overlap(query_words: list[str], other: set[str]) -> float:
    """Share of distinct query words that appear in `other` (0 for an empty query)."""
    distinct = set(query_words)
    return len(distinct & other) / len(distinct) if distinct else 0.0


def word_sets(*texts: pd.Series) -> list[frozenset[str]]:
    """Per row, the distinct words of all the given columns together (a null has none). Each
    distinct combination of values is tokenized once: frames repeat a member or a job over many
    rows."""
    n = len(texts[0])
    if n == 0:
        return []
    factorized = [pd.factorize(t.to_numpy(dtype=object), use_na_sentinel=True) for t in texts]
    vocab = [[frozenset(words(v)) for v in uniques] for _, uniques in factorized]
    key = np.zeros(n, dtype=np.int64)
    for codes, uniques in factorized:  # one code per combination (-1, a null, shifts to 0)
        key, _ = pd.factorize(key * (len(uniques) + 1) + codes + 1)
    first = np.zeros(key.max() + 1, dtype=np.int64)
    first[key[::-1]] = np.arange(n - 1, -1, -1)  # a row holding each combination
    sets = [
        frozenset().union(*(vocab[i][c] for i, c in enumerate(combo) if c >= 0))
        for combo in np.column_stack([codes[first] for codes, _ in factorized]).tolist()
    ]
    return [sets[k] for k in key.tolist()]


def overlap_counts(left: list[frozenset[str]], right: list[frozenset[str]]) -> np.ndarray:
    """Per row, the number of words in both sets."""
    return np.fromiter(
        (len(a & b) for a, b in zip(left, right, strict=True)), dtype=np.float32, count=len(left)
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)


def add_request_features(frame: pd.DataFrame, task: str) -> pd.DataFrame:
    """Add the task's request features to a frame holding `query` (search, ebr) and the profile
    columns (a missing column counts as null)."""
    if task not in ("search", "ebr", *PROFILE_OVERLAP_TASKS):
        return frame
    out = frame.copy()
    tokens = None
    if task in ("search", "ebr"):
        tokens = [words(q) for q in _column(out, "query")]
        out[QUERY_WORDS] = [query_words(t) for t in tokens]
    if task == "ebr":  # two towers: no member-job inputs
        return out
    member = None
    if task in PROFILE_OVERLAP_TASKS:
        member = word_sets(_column(out, MEMBER_TITLE), _column(out, MEMBER_SKILLS))
    job_title = word_sets(_column(out, JOB_TITLE))
    job_skills = word_sets(_column(out, JOB_SKILLS))
    for name, values in pair_overlaps(task, tokens, member, job_title, job_skills).items():
        out[name] = values
    return out


def pair_overlaps(
    task: str,
    query_tokens: list[list[str]] | None,
    member_words: list[frozenset[str]] | None,
    job_title: list[frozenset[str]],
    job_skills: list[frozenset[str]],
) -> dict[str, np.ndarray]:
    """The task's member-job and query-job overlap columns from per-row word sets (the query's
    words, the member's title and skill words, the job's title words and skill words): what
    `add_request_features` adds, for a caller holding the job word sets already (serving)."""
    out = {}
    if task == "search":
        out[QUERY_TITLE_OVERLAP] = np.array(
            [overlap(q, t) for q, t in zip(query_tokens, job_title, strict=True)], np.float32
        )
        out[QUERY_SKILL_OVERLAP] = np.array(
            [overlap(q, s) for q, s in zip(query_tokens, job_skills, strict=True)], np.float32
        )
    if task in PROFILE_OVERLAP_TASKS:
        out[PROFILE_TITLE_OVERLAP] = overlap_counts(member_words, job_title)
        out[PROFILE_SKILL_OVERLAP] = overlap_counts(member_words, job_skills)
    return out
