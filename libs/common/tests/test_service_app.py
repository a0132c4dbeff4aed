"""A service's app is instrumented once, by the platform, not again by FastAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from cc_common.runtime import service_app
from cc_common.tracing import configure_tracing


@asynccontextmanager
async def nothing(app: FastAPI) -> AsyncIterator[None]:
    yield


def fastapi_wrapped_the_request(make: Callable[[], FastAPI]) -> bool:
    configure_tracing("test")  # installs the provider that switches FastAPI's own on
    app = make()

    @app.get("/seen")
    async def seen(request: Request) -> bool:
        return "fastapi.telemetry" in request.scope

    with TestClient(app) as client:
        return bool(client.get("/seen").json())


def test_fastapi_would_trace_every_request_again() -> None:
    # The control: without the switch, FastAPI adds its own per-request telemetry.
    assert fastapi_wrapped_the_request(lambda: FastAPI(lifespan=nothing))


def test_service_apps_leave_it_to_the_platform() -> None:
    assert not fastapi_wrapped_the_request(lambda: service_app("test", nothing))
