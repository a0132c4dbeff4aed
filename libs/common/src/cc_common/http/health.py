"""``/healthz`` (the process is alive), ``/readyz`` (its dependencies answer), ``/metrics``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]
LivenessCheck = Callable[[], list[str]]


def health_router(*, readiness: ReadinessCheck, dead_tasks: LivenessCheck) -> APIRouter:
    """Routes for probes and Prometheus; not part of the public API document."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        dead = dead_tasks()
        if dead:
            return JSONResponse({"status": "failing", "dead_tasks": dead}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
