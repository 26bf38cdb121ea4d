"""The service's request body and its errors, each with the HTTP status a client gets."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from linksage.errors import LinksageError


class ServiceError(LinksageError):
    """An error answered to the client as `{"error": message}` with `status`."""

    status = 500


class BadRequest(ServiceError):
    """Malformed JSON."""

    status = 400


class NotFound(ServiceError):
    """The request names a member the online store does not know."""

    status = 404


class InvalidRequest(ServiceError):
    """A field is missing, of the wrong type, out of range or names what the service lacks."""

    status = 422


class Unavailable(ServiceError):
    """The online store is away, or the job table is too stale to serve: retry later."""

    status = 503


class RankRequest(BaseModel):
    """POST /rank: score `candidates` (job ids) for the member, or retrieve the top `k` live jobs
    passing the quality rules and score those. `at` (ISO-8601, default now) is the request time
    the member's history and the jobs' liveness are taken at."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_id: int
    task: str
    query: str | None = None
    candidates: list[int] | None = Field(None, min_length=1)
    k: int | None = Field(None, ge=1)
    at: datetime | None = None

    @model_validator(mode="after")
    def _one_source(self) -> RankRequest:
        if (self.candidates is None) == (self.k is None):
            raise ValueError("give exactly one of candidates (job ids) or k (retrieve k jobs)")
        return self


def parse_request(body: bytes) -> RankRequest:
    """The request body as a RankRequest, or a BadRequest / InvalidRequest naming the field."""
    import json

    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest(f"malformed JSON: {err}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object")
    try:
        return RankRequest.model_validate(data)
    except ValidationError as err:
        raise InvalidRequest("; ".join(_describe(e) for e in err.errors())) from None


def _describe(error: dict) -> str:
    field = ".".join(str(p) for p in error["loc"]) or "body"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    return f"{field}: {message}"
