"""The ASGI app: POST /rank, GET /healthz, /readyz and /metrics (Prometheus text), and `serve`.

Starlette rather than FastAPI: five routes, a body validated by one pydantic model we already
keep (`serving.api`), and no per-request dependency injection or response-model serialization
in the hot path. Scoring runs in the event loop (it is CPU work; one process, one loop; no thread
hand-off per request); the job table refreshes on its own thread.
"""

from __future__ import annotations

import json
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serving.api import ServiceError, parse_request
from serving.job_table import StaleTableError
from serving.scorer import Scorer

# latency buckets (s): fine below 50 ms, where the service's targets are
BUCKETS = (0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The service's Prometheus metrics, in a registry of its own (one per app)."""

    def __init__(self, scorer: Scorer):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "linksage_serve_requests", "Requests by route and HTTP status",
            ["route", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "linksage_serve_request_seconds", "Request latency by route",
            ["route"], buckets=BUCKETS, registry=self.registry,
        )  # fmt: skip
        table = scorer.table
        age = Gauge(
            "linksage_serve_job_table_age_seconds",
            "Seconds since the served job table's read started (-1: none loaded)",
            registry=self.registry,
        )
        age.set_function(lambda: -1.0 if table.age_s() is None else table.age_s())
        failures = Gauge(
            "linksage_serve_job_table_refresh_failures",
            "Job table refreshes that failed since start",
            registry=self.registry,
        )
        failures.set_function(lambda: table.failures)

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)


def create_app(scorer: Scorer) -> Starlette:
    """The app over a ready Scorer (its job table loaded; refreshing is the caller's)."""
    metrics = Metrics(scorer)

    async def rank(request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = scorer.rank(parse_request(await request.body()))
            response = Response(json.dumps(body), media_type="application/json")
        except ServiceError as err:
            response = JSONResponse({"error": str(err)}, status_code=err.status)
        metrics.observe("/rank", response.status_code, time.perf_counter() - started)
        return response

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        table = scorer.table
        try:
            table.current()
        except StaleTableError as err:
            return JSONResponse({"ready": False, "reason": str(err)}, status_code=503)
        if table.last_error is not None:
            reason = f"last job table refresh failed: {table.last_error}"
            return JSONResponse({"ready": False, "reason": reason}, status_code=503)
        return JSONResponse(
            {"ready": True, "tasks": sorted(scorer.runs), "job_table_age_s": table.age_s()}
        )

    async def prometheus(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/rank", rank, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", prometheus),
    ]
    return Starlette(routes=routes)
