"""Frozen vocabularies that map attribute values (title, company, skill, position, location) to
contiguous ids. Built once from the training data, saved inside the checkpoint, and reused for
every later snapshot so that the same value always gets the same id. Id 0 is the
out-of-vocabulary bucket: values first seen after training all map to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from linksage.data.tables import Tables

VOCAB_TYPES = ("skill", "title", "company", "position", "location")
OOV = 0
_SEP = "\x1f"


def position_key(company: pd.Series, title: pd.Series) -> pd.Series:
    """The value of a position node: company x title."""
    return company.astype(str).str.cat(title.astype(str), sep=_SEP)


@dataclass
class IdMaps:
    """value -> id maps for each vocabulary type; id = 1 + index in the sorted vocabulary."""

    vocab: dict[str, list[str]]

    def __post_init__(self) -> None:
        self._index = {t: pd.Index(v) for t, v in self.vocab.items()}

    def size(self, vocab_type: str) -> int:
        """Number of ids including the OOV bucket."""
        return len(self.vocab[vocab_type]) + 1

    def lookup(self, vocab_type: str, values) -> np.ndarray:
        """Ids (int64) of `values`; unseen values get the OOV bucket 0."""
        idx = self._index[vocab_type].get_indexer(pd.Index(np.asarray(values, dtype=object)))
        return (idx + 1).astype(np.int64)

    def to_dict(self) -> dict[str, list[str]]:
        return {t: list(v) for t, v in self.vocab.items()}

    @classmethod
    def from_dict(cls, data: dict[str, list[str]]) -> IdMaps:
        return cls({t: list(v) for t, v in data.items()})


def build_id_maps(tables: Tables, *, before: datetime | pd.Timestamp) -> IdMaps:
    """Vocabularies from every member/job/position that exists before `before`."""
    cut = pd.Timestamp(before)
    cut = cut.tz_convert("UTC") if cut.tzinfo else cut.tz_localize("UTC")
    m = tables.members[pd.to_datetime(tables.members["created_at"], utc=True) < cut]
    j = tables.jobs[pd.to_datetime(tables.jobs["posted_at"], utc=True) < cut]
    titles = [m["title"], j["title"]]
    companies = [m["company"], j["company"]]
    positions = [position_key(m["company"], m["title"]), position_key(j["company"], j["title"])]
    if tables.member_positions is not None:
        p = tables.member_positions
        p = p[pd.to_datetime(p["start_at"], utc=True) < cut]
        p = p[p["member_id"].isin(m["member_id"])]
        titles.append(p["title"])
        companies.append(p["company"])
        positions.append(position_key(p["company"], p["title"]))
    skills = []
    if tables.member_skills is not None:
        ms = tables.member_skills
        skills.append(ms.loc[ms["member_id"].isin(m["member_id"]), "skill"])
    if tables.job_skills is not None:
        js = tables.job_skills
        skills.append(js.loc[js["job_id"].isin(j["job_id"]), "skill"])
    columns = {
        "title": titles,
        "company": companies,
        "position": positions,
        "skill": skills,
        "location": [m["location"], j["location"]],
    }
    vocab = {}
    for t, parts in columns.items():
        values = pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype=object)
        vocab[t] = sorted(values.dropna().astype(str).unique().tolist())
    return IdMaps(vocab)
