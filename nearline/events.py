"""Nearline event types and their wire format, with validation that names what is wrong.

An event travels as one JSON object (a Redis stream entry holds it in its `event` field, a file
source holds one per line). `parse_event` turns a wire object into a typed event or raises
`MalformedEvent` with a reason; the worker dead-letters such events instead of crashing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from linksage.data.schema import ENGAGEMENT_ACTIONS, RECRUITER_ACTIONS, SEEKER_INTENTS

EVENT_FIELD = "event"  # the stream-entry field that carries the JSON object


class MalformedEvent(ValueError):
    """An event that cannot be applied; the message is the reason sent to the dead letters."""


@dataclass(frozen=True)
class JobPosted:
    """A new job with the attributes its graph edges and input features come from."""

    job_id: int
    at: datetime
    title: str
    company: str
    seniority: int
    location: str
    is_promoted: bool
    expires_at: datetime
    skills: tuple[tuple[str, float], ...] = ()
    type: str = field(default="job_posted", init=False)


@dataclass(frozen=True)
class Engagement:
    """A member acted on a job (view, click, save, apply, dismiss)."""

    member_id: int
    job_id: int
    action: str
    at: datetime
    channel: str = "other"
    request_id: int | None = None
    type: str = field(default="engagement", init=False)


@dataclass(frozen=True)
class RecruiterAction:
    """A recruiter of a job acted on a member (message, reach_out, positive_hearing_back)."""

    job_id: int
    member_id: int
    action: str
    at: datetime
    type: str = field(default="recruiter_action", init=False)


@dataclass(frozen=True)
class MemberJoined:
    """A new member with profile attributes, skills and the positions held before joining."""

    member_id: int
    at: datetime
    title: str
    company: str
    seniority: int
    location: str
    is_premium: bool
    seeker_intent: str | None = None
    skills: tuple[tuple[str, float], ...] = ()
    positions: tuple[tuple[str, str, datetime], ...] = ()  # (company, title, start_at)
    type: str = field(default="member_joined", init=False)


@dataclass(frozen=True)
class PositionStarted:
    """A member started a position (company x title)."""

    member_id: int
    company: str
    title: str
    at: datetime
    type: str = field(default="position_started", init=False)


Event = JobPosted | Engagement | RecruiterAction | MemberJoined | PositionStarted
EVENT_TYPES = ("member_joined", "job_posted", "position_started", "engagement", "recruiter_action")


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_to_dict(event: Event) -> dict[str, Any]:
    """The wire object of an event (JSON-ready)."""
    d = asdict(event)
    for key, value in d.items():
        if isinstance(value, datetime):
            d[key] = _iso(value)
    if isinstance(event, JobPosted | MemberJoined):
        d["skills"] = [[s, float(score)] for s, score in event.skills]
    if isinstance(event, MemberJoined):
        d["positions"] = [[c, t, _iso(start)] for c, t, start in event.positions]
    return d


def event_to_json(event: Event) -> str:
    """The event as one line of JSON."""
    return json.dumps(event_to_dict(event), separators=(",", ":"))


def _int(d: Mapping, key: str, *, nullable: bool = False) -> int | None:
    value = d.get(key)
    if value is None:
        if nullable:
            return None
        raise MalformedEvent(f"missing field {key!r}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"field {key!r} must be an integer, got {value!r}")
    if value < 0:
        raise MalformedEvent(f"field {key!r} must be >= 0, got {value}")
    return value


def _str(d: Mapping, key: str, allowed: tuple[str, ...] | None = None) -> str:
    """A string field (attribute values may be empty strings, as in the tables)."""
    value = d.get(key)
    if not isinstance(value, str):
        raise MalformedEvent(f"field {key!r} must be a string, got {value!r}")
    if allowed is not None and value not in allowed:
        raise MalformedEvent(f"field {key!r} must be one of {list(allowed)}, got {value!r}")
    return value


def _time(d: Mapping, key: str) -> datetime:
    value = d.get(key)
    if not isinstance(value, str):
        raise MalformedEvent(f"field {key!r} must be an ISO-8601 timestamp, got {value!r}")
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedEvent(f"field {key!r} is not an ISO-8601 timestamp: {value!r}") from None
    if t.tzinfo is None:
        raise MalformedEvent(f"field {key!r} has no time zone: {value!r}")
    return t.astimezone(UTC)


def _skills(d: Mapping) -> tuple[tuple[str, float], ...]:
    raw = d.get("skills", [])
    if not isinstance(raw, list):
        raise MalformedEvent(f"field 'skills' must be a list of [skill, score], got {raw!r}")
    out = []
    for item in raw:
        ok = (
            isinstance(item, list | tuple)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], int | float)
            and not isinstance(item[1], bool)
            and math.isfinite(item[1])
        )
        if not ok:
            raise MalformedEvent(f"field 'skills' has an invalid entry {item!r}")
        out.append((item[0], float(item[1])))
    return tuple(out)


def _positions(d: Mapping) -> tuple[tuple[str, str, datetime], ...]:
    raw = d.get("positions", [])
    if not isinstance(raw, list):
        raise MalformedEvent(
            f"field 'positions' must be a list of [company, title, start_at], got {raw!r}"
        )
    out = []
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 3):
            raise MalformedEvent(f"field 'positions' has an invalid entry {item!r}")
        entry = {"company": item[0], "title": item[1], "start_at": item[2]}
        out.append((_str(entry, "company"), _str(entry, "title"), _time(entry, "start_at")))
    return tuple(out)


def event_from_dict(d: Any) -> Event:
    """Validate a wire object and return the typed event; raise MalformedEvent with the reason."""
    if not isinstance(d, Mapping):
        raise MalformedEvent(f"an event must be a JSON object, got {type(d).__name__}")
    kind = d.get("type")
    if kind == "engagement":
        return Engagement(
            member_id=_int(d, "member_id"),
            job_id=_int(d, "job_id"),
            action=_str(d, "action", ENGAGEMENT_ACTIONS),
            at=_time(d, "at"),
            channel=_str(d, "channel", ("jymbii", "search", "other"))
            if "channel" in d
            else "other",
            request_id=_int(d, "request_id", nullable=True),
        )
    if kind == "recruiter_action":
        return RecruiterAction(
            job_id=_int(d, "job_id"),
            member_id=_int(d, "member_id"),
            action=_str(d, "action", RECRUITER_ACTIONS),
            at=_time(d, "at"),
        )
    if kind == "job_posted":
        seniority = _int(d, "seniority")
        if seniority > 6:
            raise MalformedEvent(f"field 'seniority' must be in 0..6, got {seniority}")
        if not isinstance(d.get("is_promoted"), bool):
            raise MalformedEvent(
                f"field 'is_promoted' must be a boolean, got {d.get('is_promoted')!r}"
            )
        at, expires_at = _time(d, "at"), _time(d, "expires_at")
        if expires_at < at:
            raise MalformedEvent("field 'expires_at' is before 'at'")
        return JobPosted(
            job_id=_int(d, "job_id"),
            at=at,
            title=_str(d, "title"),
            company=_str(d, "company"),
            seniority=seniority,
            location=_str(d, "location"),
            is_promoted=d["is_promoted"],
            expires_at=expires_at,
            skills=_skills(d),
        )
    if kind == "member_joined":
        seniority = _int(d, "seniority")
        if seniority > 6:
            raise MalformedEvent(f"field 'seniority' must be in 0..6, got {seniority}")
        if not isinstance(d.get("is_premium"), bool):
            raise MalformedEvent(
                f"field 'is_premium' must be a boolean, got {d.get('is_premium')!r}"
            )
        intent = d.get("seeker_intent")
        if intent is not None:
            intent = _str(d, "seeker_intent", SEEKER_INTENTS)
        return MemberJoined(
            member_id=_int(d, "member_id"),
            at=_time(d, "at"),
            title=_str(d, "title"),
            company=_str(d, "company"),
            seniority=seniority,
            location=_str(d, "location"),
            is_premium=d["is_premium"],
            seeker_intent=intent,
            skills=_skills(d),
            positions=_positions(d),
        )
    if kind == "position_started":
        return PositionStarted(
            member_id=_int(d, "member_id"),
            company=_str(d, "company"),
            title=_str(d, "title"),
            at=_time(d, "at"),
        )
    raise MalformedEvent(f"unknown event type {kind!r} (expected one of {', '.join(EVENT_TYPES)})")


def parse_event(raw: str | bytes | Mapping) -> Event:
    """Parse a JSON line or a stream entry ({"event": json}) into a typed event."""
    if isinstance(raw, Mapping) and "type" not in raw:
        payload = raw.get(EVENT_FIELD, raw.get(EVENT_FIELD.encode()))
        if payload is None:
            raise MalformedEvent(f"stream entry has no {EVENT_FIELD!r} field")
        raw = payload
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedEvent("event is not valid UTF-8") from None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as err:
            raise MalformedEvent(
                f"event is not valid JSON: {err.msg} at column {err.colno}"
            ) from None
    return event_from_dict(raw)


def event_nodes(event: Event) -> tuple[int | None, int | None]:
    """(member_id, job_id) an event touches; the worker re-embeds these."""
    if isinstance(event, JobPosted):
        return None, event.job_id
    if isinstance(event, MemberJoined | PositionStarted):
        return event.member_id, None
    return event.member_id, event.job_id
