"""Request-time features computed from the query and the joined job features (search, ebr).

`query__words` is the query's lower-cased words joined by spaces; the overlap features are the
share of query words found in the job's title words and in its top skills' words (0 without a
query). They are computed the same way for training frames and for online serving.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from rankers.feature_schema import QUERY_SKILL_OVERLAP, QUERY_TITLE_OVERLAP, QUERY_WORDS

JOB_TITLE = "job_profile__title"
JOB_SKILLS = "job_profile__top_skills"
_WORD = re.compile(r"[a-z0-9]+")


def words(text: object) -> list[str]:
    """Lower-cased alphanumeric words of a text (none for null)."""
    if not isinstance(text, str):
        return []
    return _WORD.findall(text.lower())


def overlap(query_words: list[str], other: set[str]) -> float:
    """Share of distinct query words that appear in `other` (0 for an empty query)."""
    distinct = set(query_words)
    return len(distinct & other) / len(distinct) if distinct else 0.0


def add_request_features(frame: pd.DataFrame, task: str) -> pd.DataFrame:
    """Add the task's request features to a frame holding `query` and the job profile columns."""
    if task not in ("search", "ebr"):
        return frame
    out = frame.copy()
    queries = out["query"] if "query" in out else pd.Series(None, index=out.index, dtype=object)
    tokens = [words(q) for q in queries]
    out[QUERY_WORDS] = [" ".join(t) for t in tokens]
    if task == "search":
        titles = [set(words(t)) for t in out.get(JOB_TITLE, pd.Series(None, index=out.index))]
        skills = out.get(JOB_SKILLS, pd.Series(None, index=out.index))
        skill_words = [
            set(words(str(s).replace("|", " "))) if isinstance(s, str) else set() for s in skills
        ]
        out[QUERY_TITLE_OVERLAP] = np.array(
            [overlap(q, t) for q, t in zip(tokens, titles, strict=True)], dtype=np.float32
        )
        out[QUERY_SKILL_OVERLAP] = np.array(
            [overlap(q, s) for q, s in zip(tokens, skill_words, strict=True)], dtype=np.float32
        )
    return out
