"""The data contract: the input tables, their columns, types and which may be null.

Readers and writers live in `linksage.data.tables`; the checks in `linksage.data.validation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")

ENGAGEMENT_ACTIONS = ("view", "click", "save", "apply", "dismiss")
RECRUITER_ACTIONS = ("message", "reach_out", "positive_hearing_back")
CHANNELS = ("jymbii", "search", "other")
IMPRESSION_CHANNELS = ("jymbii", "search")
SEEKER_INTENTS = ("passive", "opportunistic", "open_to_job", "urgent")
SENIORITY_RANGE = (0, 6)


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    nullable: bool = False
    optional: bool = False  # the column itself may be absent
    allowed: tuple[str, ...] | None = None  # categorical values
    # What an absent optional column reads as (None: it stays absent). Real exports often lack
    # flags such as is_premium; reading them as False keeps every reader simple.
    default: bool | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    required: bool = True
    key: str | None = None  # unique id column

    @property
    def file_name(self) -> str:
        return f"{self.name}.parquet"

    def arrow_schema(self, present: set[str] | None = None) -> pa.Schema:
        cols = [c for c in self.columns if present is None or c.name in present or not c.optional]
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in cols])

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


MEMBERS = TableSpec(
    "members",
    (
        Column("member_id", pa.int64()),
        Column("title", pa.string()),
        Column("company", pa.string()),
        Column("seniority", pa.int8()),
        Column("location", pa.string()),
        Column("is_premium", pa.bool_(), optional=True, default=False),
        Column("seeker_intent", pa.string(), nullable=True, optional=True, allowed=SEEKER_INTENTS),
        Column("created_at", TIMESTAMP),
    ),
    key="member_id",
)

JOBS = TableSpec(
    "jobs",
    (
        Column("job_id", pa.int64()),
        Column("title", pa.string()),
        Column("company", pa.string()),
        Column("seniority", pa.int8()),
        Column("location", pa.string()),
        Column("is_promoted", pa.bool_(), optional=True, default=False),
        Column("posted_at", TIMESTAMP),
        Column("expires_at", TIMESTAMP),
    ),
    key="job_id",
)

MEMBER_SKILLS = TableSpec(
    "member_skills",
    (
        Column("member_id", pa.int64()),
        Column("skill", pa.string()),
        Column("score", pa.float32()),
    ),
    required=False,
)

JOB_SKILLS = TableSpec(
    "job_skills",
    (
        Column("job_id", pa.int64()),
        Column("skill", pa.string()),
        Column("score", pa.float32()),
    ),
    required=False,
)

MEMBER_POSITIONS = TableSpec(
    "member_positions",
    (
        Column("member_id", pa.int64()),
        Column("company", pa.string()),
        Column("title", pa.string()),
        Column("start_at", TIMESTAMP),
        Column("end_at", TIMESTAMP, nullable=True),
    ),
    required=False,
)

ENGAGEMENTS = TableSpec(
    "engagements",
    (
        Column("member_id", pa.int64()),
        Column("job_id", pa.int64()),
        Column("action", pa.string(), allowed=ENGAGEMENT_ACTIONS),
        Column("channel", pa.string(), allowed=CHANNELS),
        Column("request_id", pa.int64(), nullable=True),
        Column("at", TIMESTAMP),
    ),
)

RECRUITER_ACTIONS_TABLE = TableSpec(
    "recruiter_actions",
    (
        Column("job_id", pa.int64()),
        Column("member_id", pa.int64()),
        Column("action", pa.string(), allowed=RECRUITER_ACTIONS),
        Column("at", TIMESTAMP),
    ),
    required=False,
)

IMPRESSIONS = TableSpec(
    "impressions",
    (
        Column("request_id", pa.int64()),
        Column("member_id", pa.int64()),
        Column("job_id", pa.int64()),
        Column("channel", pa.string(), allowed=IMPRESSION_CHANNELS),
        Column("rank", pa.int32()),
        Column("query", pa.string(), nullable=True),
        Column("at", TIMESTAMP),
    ),
    required=False,
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        MEMBERS,
        JOBS,
        MEMBER_SKILLS,
        JOB_SKILLS,
        MEMBER_POSITIONS,
        ENGAGEMENTS,
        RECRUITER_ACTIONS_TABLE,
        IMPRESSIONS,
    )
}

# The column holding each table's event time (used for snapshots and range checks).
TIME_COLUMN: dict[str, str | None] = {
    "members": "created_at",
    "jobs": "posted_at",
    "member_skills": None,
    "job_skills": None,
    "member_positions": "start_at",
    "engagements": "at",
    "recruiter_actions": "at",
    "impressions": "at",
}
