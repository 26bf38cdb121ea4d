"""Turn the tables' rows in a time window into events, in time order, and publish them at a rate.

Within one timestamp, nodes come before the edges that need them: member joined, job posted,
position started, engagement, recruiter action. A member who joins in the window brings the
positions started before joining; later positions arrive as position-started events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import pandas as pd

from linksage.data.tables import Tables
from linksage.io import atomic_write_text
from linksage.timeutil import utc_series
from nearline.events import (
    Engagement,
    Event,
    JobPosted,
    MemberJoined,
    PositionStarted,
    RecruiterAction,
    event_to_json,
)

_ORDER = {
    "member_joined": 0,
    "job_posted": 1,
    "position_started": 2,
    "engagement": 3,
    "recruiter_action": 4,
}


def _in(frame: pd.DataFrame, column: str, start, end) -> pd.DataFrame:
    t = utc_series(frame[column])
    return frame[(t >= start) & (t < end)]


def _none(value):
    return None if value is None or pd.isna(value) else value


def _skills(frame: pd.DataFrame | None, key: str) -> dict[int, tuple]:
    if frame is None or not len(frame):
        return {}
    out: dict[int, list] = {}
    for k, s, score in zip(frame[key], frame["skill"], frame["score"], strict=True):
        out.setdefault(int(k), []).append((str(s), float(score)))
    return {k: tuple(v) for k, v in out.items()}


def events_from_tables(tables: Tables, *, start: datetime, end: datetime) -> list[Event]:
    """Every graph event with its time in [start, end), in replay order."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    positions, before_join = _position_events(tables, start, end)
    events: list[Event] = [
        *positions,
        *_member_events(tables, start, end, before_join),
        *_job_events(tables, start, end),
        *_interaction_events(tables, start, end),
    ]
    events.sort(key=lambda e: (e.at, _ORDER[e.type]))  # stable: table order within ties
    return events


def _position_events(tables: Tables, start, end) -> tuple[list[Event], dict[int, list]]:
    """Positions started in [start, end) after the member joined; and, per member, the
    positions that started before joining (they arrive with the MemberJoined event)."""
    positions = tables.member_positions
    events: list[Event] = []
    before_join: dict[int, list] = {}
    if positions is None or not len(positions):
        return events, before_join
    created = dict(
        zip(tables.members["member_id"], utc_series(tables.members["created_at"]), strict=True)
    )
    p_start = utc_series(positions["start_at"])
    for m, c, t, s in zip(
        positions["member_id"], positions["company"], positions["title"], p_start, strict=True
    ):
        joined = created.get(m)
        if joined is None:
            continue
        if s < joined:
            before_join.setdefault(int(m), []).append((str(c), str(t), s.to_pydatetime()))
        elif start <= s < end:
            events.append(
                PositionStarted(
                    member_id=int(m), company=str(c), title=str(t), at=s.to_pydatetime()
                )
            )
    return events, before_join


def _member_events(tables: Tables, start, end, before_join: dict[int, list]) -> list[Event]:
    """Members created in [start, end), with their skills and earlier positions."""
    members = _in(tables.members, "created_at", start, end)
    m_skills = _skills(tables.member_skills, "member_id")
    has_intent = "seeker_intent" in members
    return [
        MemberJoined(
            member_id=int(row.member_id),
            at=pd.Timestamp(row.created_at).to_pydatetime(),
            title=str(row.title),
            company=str(row.company),
            seniority=int(row.seniority),
            location=str(row.location),
            is_premium=bool(row.is_premium),
            seeker_intent=_none(row.seeker_intent) if has_intent else None,
            skills=m_skills.get(int(row.member_id), ()),
            positions=tuple(before_join.get(int(row.member_id), ())),
        )
        for row in members.itertuples(index=False)
    ]


def _job_events(tables: Tables, start, end) -> list[Event]:
    """Jobs posted in [start, end), with their skills."""
    j_skills = _skills(tables.job_skills, "job_id")
    return [
        JobPosted(
            job_id=int(row.job_id),
            at=pd.Timestamp(row.posted_at).to_pydatetime(),
            title=str(row.title),
            company=str(row.company),
            seniority=int(row.seniority),
            location=str(row.location),
            is_promoted=bool(row.is_promoted),
            expires_at=pd.Timestamp(row.expires_at).to_pydatetime(),
            skills=j_skills.get(int(row.job_id), ()),
        )
        for row in _in(tables.jobs, "posted_at", start, end).itertuples(index=False)
    ]


def _interaction_events(tables: Tables, start, end) -> list[Event]:
    """Engagements and recruiter actions in [start, end)."""
    events: list[Event] = []
    for row in _in(tables.engagements, "at", start, end).itertuples(index=False):
        request = _none(row.request_id)
        events.append(
            Engagement(
                member_id=int(row.member_id),
                job_id=int(row.job_id),
                action=str(row.action),
                at=pd.Timestamp(row.at).to_pydatetime(),
                channel=str(row.channel),
                request_id=None if request is None else int(request),
            )
        )
    if tables.recruiter_actions is not None:
        for row in _in(tables.recruiter_actions, "at", start, end).itertuples(index=False):
            events.append(
                RecruiterAction(
                    job_id=int(row.job_id),
                    member_id=int(row.member_id),
                    action=str(row.action),
                    at=pd.Timestamp(row.at).to_pydatetime(),
                )
            )
    return events


def write_events_file(events: Iterable[Event], path: Path | str) -> Path:
    """Write events as JSON lines (atomically), the file source's format."""
    atomic_write_text(path, "".join(event_to_json(e) + "\n" for e in events))
    return Path(path)


def publish_at_rate(
    events: list[Event],
    publish: Callable[[str], object],
    *,
    rate: float,
    progress: Callable[[int], None] | None = None,
) -> float:
    """Call `publish(json)` for each event at `rate` events/s (paced against the clock, so a
    slow call does not slow the schedule down). Returns the achieved rate."""
    t0 = time.perf_counter()
    for i, event in enumerate(events):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        publish(event_to_json(event))
        if progress is not None:
            progress(i + 1)
    elapsed = time.perf_counter() - t0
    return len(events) / elapsed if elapsed > 0 else float("inf")


def replay_to(
    data,
    data_dir: Path,
    *,
    target: str,
    start: datetime,
    end: datetime,
    rate: float,
    limit: int | None = None,
) -> tuple[int, float]:
    """Publish the events of [start, end) from the tables to `target` (redis://HOST:PORT/STREAM
    or file:PATH, appended) at `rate` events/s. Returns (events published, achieved rate)."""
    from rich.progress import Progress

    from linksage.data.datasource import load_tables
    from nearline.sources import parse_source_uri, publish_redis

    kind, args = parse_source_uri(target)
    tables = load_tables(data, data_dir, validate=False)
    events = events_from_tables(tables, start=start, end=end)[:limit]
    if kind == "redis":
        import redis

        client = redis.Redis(host=args["host"], port=args["port"], decode_responses=True)
        stream = args["stream"]

        def publish(line: str) -> None:
            publish_redis(client, stream, line)

        close = client.close
    else:
        args["path"].parent.mkdir(parents=True, exist_ok=True)
        handle = args["path"].open("a", encoding="utf-8")

        def publish(line: str) -> None:
            handle.write(line + "\n")
            handle.flush()

        close = handle.close
    try:
        with Progress(transient=True) as bar:
            task = bar.add_task(f"replay -> {target}", total=len(events))
            achieved = publish_at_rate(
                events, publish, rate=rate, progress=lambda n: bar.update(task, completed=n)
            )
    finally:
        close()
    return len(events), achieved
