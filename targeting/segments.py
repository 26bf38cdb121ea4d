"""Segments: what an advertiser can name and a graph can link, (title, seniority band, location).

A member's title is the one they held at the time in question: the title of their latest
`member_positions` row started before it, else `members.title`. The members table is a profile
as of today, so after a hire it may already show the new job's title; without this, a hire would
link the job's segment to its own title and teach the graph nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# seniority 0-6 in three bands: entry (0-1), mid (2-3), senior (4-6)
BAND_OF_SENIORITY = np.array([0, 0, 1, 1, 2, 2, 2], dtype=np.int8)


def band(seniority: pd.Series | np.ndarray) -> np.ndarray:
    """The seniority band (0 entry, 1 mid, 2 senior) of seniority levels 0-6."""
    levels = np.clip(np.asarray(seniority, dtype=np.int64), 0, len(BAND_OF_SENIORITY) - 1)
    return BAND_OF_SENIORITY[levels]


def segment_key(title: pd.Series, bands: np.ndarray, location: pd.Series) -> np.ndarray:
    """One string per row naming its segment: `title|band|location`."""
    return (
        title.astype(str).to_numpy(dtype=object)
        + "|"
        + bands.astype(str).astype(object)
        + "|"
        + location.astype(str).to_numpy(dtype=object)
    )


def _ns(times) -> pd.Series:
    """UTC times at one resolution (merge_asof refuses keys of two)."""
    return pd.Series(pd.to_datetime(times, utc=True)).astype("datetime64[ns, UTC]").to_numpy()


def titles_at(
    members: pd.DataFrame,
    positions: pd.DataFrame | None,
    member_ids: np.ndarray,
    times: pd.Series | np.ndarray,
) -> np.ndarray:
    """Each member's title strictly before the matching time (see the module docstring)."""
    profile = members.set_index("member_id")["title"]
    rows = pd.DataFrame(
        {"member_id": np.asarray(member_ids, dtype=np.int64), "t": _ns(times)}
    ).reset_index(names="row")
    out = rows["member_id"].map(profile).to_numpy(dtype=object)
    if positions is None or positions.empty or rows.empty:
        return out
    pos = positions.loc[positions["title"] != "", ["member_id", "title", "start_at"]]
    pos = pos.assign(start_at=_ns(pos["start_at"]))
    # the latest position started before t, per member (merge_asof wants both sides sorted)
    found = pd.merge_asof(
        rows.sort_values("t"),
        pos.sort_values("start_at"),
        left_on="t",
        right_on="start_at",
        by="member_id",
        allow_exact_matches=False,
    )
    held = found.dropna(subset=["title"])
    out[held["row"].to_numpy()] = held["title"].to_numpy(dtype=object)
    return out


def member_segments(
    members: pd.DataFrame, positions: pd.DataFrame | None, at: pd.Timestamp
) -> pd.DataFrame:
    """The members who exist at `at` (created before it) with their title and segment then:
    columns member_id, title, band, location, segment, sorted by member_id."""
    pool = members[pd.to_datetime(members["created_at"], utc=True) < at].sort_values("member_id")
    title = titles_at(members, positions, pool["member_id"].to_numpy(), np.full(len(pool), at))
    out = pd.DataFrame(
        {
            "member_id": pool["member_id"].to_numpy(dtype=np.int64),
            "title": title,
            "band": band(pool["seniority"]),
            "location": pool["location"].to_numpy(dtype=object),
        }
    )
    out["segment"] = segment_key(out["title"], out["band"].to_numpy(), out["location"])
    return out


def job_segments(jobs: pd.DataFrame) -> pd.DataFrame:
    """Jobs with their segment: columns job_id, title, band, location, segment."""
    out = pd.DataFrame(
        {
            "job_id": jobs["job_id"].to_numpy(dtype=np.int64),
            "title": jobs["title"].to_numpy(dtype=object),
            "band": band(jobs["seniority"]),
            "location": jobs["location"].to_numpy(dtype=object),
        }
    )
    out["segment"] = segment_key(out["title"], out["band"].to_numpy(), out["location"])
    return out
