"""ASGI middleware: a body-size cap and request metrics with correlation ids."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Mapping

import structlog
from opentelemetry.trace import SpanKind
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cc_common.http.problems import PROBLEM_JSON, PROBLEM_TYPE_BASE
from cc_common.metrics import HTTP_LATENCY, HTTP_REQUESTS
from cc_common.tracing import context_from_http, tracer


async def _send_problem(send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_TRACER = tracer(__name__)


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, declared or streamed.

    ``larger`` gives named paths (uploads) a limit of their own; every other route
    keeps the small one.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.default_bytes)
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _send_problem(send, 413, "Content Too Large", _detail(max_bytes))
            return
        received = 0
        started = False
        refused = False

        async def limited_receive() -> Message:
            # Answer 413 ourselves and tell the app the client left: frameworks turn
            # exceptions raised while reading the body into their own 400s.
            nonlocal received, started, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    refused = True
                    if not started:
                        started = True
                        await _send_problem(send, 413, "Content Too Large", _detail(max_bytes))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is already on its way
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(ClientDisconnect):
            await self.app(scope, limited_receive, guarded_send)


def _detail(max_bytes: int) -> str:
    return f"The request body exceeds {max_bytes} bytes."


class RequestContext:
    """Bind a correlation id to the logs of each request and record request metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-correlation-id", b"").decode("latin-1")[:64]
        correlation_id = incoming or str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-correlation-id", correlation_id.encode()),
                ]
            await send(message)

        method = scope.get("method", "")
        with (
            _TRACER.start_as_current_span(
                f"{method} {scope.get('path', '')}",
                context=context_from_http(scope["headers"]),
                kind=SpanKind.SERVER,
                attributes={"http.request.method": method, "correlation_id": correlation_id},
            ) as span,
            structlog.contextvars.bound_contextvars(correlation_id=correlation_id),
        ):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = scope.get("route")
                path = getattr(route, "path", "unmatched")
                span.update_name(f"{method} {path}")
                span.set_attribute("http.response.status_code", status)
                HTTP_REQUESTS.labels(method, path, str(status)).inc()
                HTTP_LATENCY.labels(method, path).observe(time.perf_counter() - started)
