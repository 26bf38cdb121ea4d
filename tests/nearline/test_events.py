"""Event wire format: round trips, and every malformed shape refused with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from nearline.events import (
    Engagement,
    JobPosted,
    MalformedEvent,
    RecruiterAction,
    event_nodes,
    event_to_json,
    parse_event,
)

AT = datetime(2026, 2, 5, 12, 30, tzinfo=UTC)


def _job() -> JobPosted:
    return JobPosted(
        job_id=7,
        at=AT,
        title="engineer",
        company="acme",
        seniority=3,
        location="paris",
        is_promoted=False,
        expires_at=datetime(2026, 3, 1, tzinfo=UTC),
        skills=(("python", 0.9), ("sql", 0.4)),
    )


@pytest.mark.parametrize(
    "event",
    [
        _job(),
        Engagement(member_id=1, job_id=7, action="apply", at=AT, channel="search", request_id=5),
        Engagement(member_id=1, job_id=7, action="click", at=AT),
        RecruiterAction(job_id=7, member_id=1, action="positive_hearing_back", at=AT),
    ],
)
def test_round_trip_through_json_and_stream_entry(event):
    line = event_to_json(event)
    assert parse_event(line) == event
    assert parse_event({"event": line.encode()}) == event
    assert parse_event(json.loads(line)) == event


def test_event_nodes():
    assert event_nodes(_job()) == (None, 7)
    assert event_nodes(Engagement(member_id=1, job_id=7, action="apply", at=AT)) == (1, 7)


def _valid_engagement() -> dict:
    return json.loads(event_to_json(Engagement(member_id=1, job_id=7, action="apply", at=AT)))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (b"\xff\xfe", "not valid UTF-8"),
        ({"other": "x"}, "no 'event' field"),
        ({**_valid_engagement(), "type": "tweet"}, "unknown event type 'tweet'"),
        ({**_valid_engagement(), "member_id": "1"}, "'member_id' must be an integer"),
        ({**_valid_engagement(), "member_id": -3}, "'member_id' must be >= 0"),
        ({**_valid_engagement(), "job_id": None}, "missing field 'job_id'"),
        ({**_valid_engagement(), "action": "like"}, "'action' must be one of"),
        ({**_valid_engagement(), "at": "yesterday"}, "not an ISO-8601 timestamp"),
        ({**_valid_engagement(), "at": "2026-02-05T12:00:00"}, "has no time zone"),
        ({**json.loads(event_to_json(_job())), "seniority": 9}, "'seniority' must be in 0..6"),
        ({**json.loads(event_to_json(_job())), "skills": [["x"]]}, "'skills' has an invalid"),
        ({**json.loads(event_to_json(_job())), "is_promoted": "no"}, "'is_promoted' must be a"),
        (
            {**json.loads(event_to_json(_job())), "expires_at": "2026-01-01T00:00:00Z"},
            "'expires_at' is before 'at'",
        ),
    ],
)
def test_malformed_events_name_the_problem(payload, reason):
    if isinstance(payload, dict) and "type" in payload:
        payload = json.dumps(payload)
    with pytest.raises(MalformedEvent, match=reason.replace("(", r"\(")):
        parse_event(payload)
