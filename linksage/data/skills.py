"""The top-skills rule every stage shares: an entity's k highest-scored skills, ties broken by
skill name (alphabetical), so that the batch graph, the nearline updates, the feature store and
`linksage stats` pick the same skills."""

from __future__ import annotations

import pandas as pd


def skill_rank_key(skill: str, score: float) -> tuple[float, str]:
    """Sort key of one of an entity's skills: highest score first, then by name.

    The plain-Python form of the rule, for small per-event lists; `top_skill_rows` sorts frames
    in the same order.
    """
    return (-score, skill)


def top_skill_rows(
    frame: pd.DataFrame, key: str, k: int, *, distinct: bool = False
) -> pd.DataFrame:
    """The rows of each entity's `k` best skills (columns `key`, `skill`, `score`), ordered by
    entity, then best first; the index is kept.

    With `distinct`, a skill listed twice for an entity counts once (its best row is kept).
    """
    # multi-column sort_values is a stable lexsort, so equal rows keep their input order
    ranked = frame.sort_values([key, "score", "skill"], ascending=[True, False, True])
    if distinct:
        ranked = ranked.drop_duplicates([key, "skill"])
    return ranked.groupby(key, sort=False).head(k)
