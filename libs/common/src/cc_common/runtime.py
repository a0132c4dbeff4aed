"""The composition root of a service process: its clients, consumers and HTTP platform."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from cc_common.http.health import health_router
from cc_common.http.middleware import BodySizeLimit, RequestContext
from cc_common.http.problems import install_problem_handlers, problem_response, register_problem
from cc_common.kafka.consumer import (
    ConsumerRunner,
    GroupHandler,
    Handler,
    OrderKey,
    RetryPolicy,
    by_tenant,
)
from cc_common.kafka.producer import BrokerUnavailable, EventProducer, EventRefused
from cc_common.logging import configure_logging, get_logger
from cc_common.mongo import Document, make_mongo_client, ping
from cc_common.settings import ServiceSettings
from cc_common.supervision import TaskGroup
from cc_common.tracing import configure_tracing

log = get_logger(__name__)

SHUTDOWN_GRACE_SECONDS = 20.0
READINESS_TIMEOUT_SECONDS = 0.8
"""How long ``/readyz`` waits for the broker and the database (together): it answers
within a second, 503 when either is silent."""


class Runtime:
    """The clients one process owns: a producer, a MongoDB client, its consumers."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        service: str,
        producer: EventProducer,
        mongo: AsyncMongoClient[Document] | None,
        database: str | None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.producer = producer
        self.mongo = mongo
        self._database = database
        self.tasks = TaskGroup()
        self.consumers: list[ConsumerRunner] = []

    @property
    def db(self) -> AsyncDatabase[Document]:
        """The service's own database."""
        if self.mongo is None or self._database is None:
            raise RuntimeError(f"{self.service} has no database")
        return self.mongo[self._database]

    def add_consumer(
        self,
        *,
        topics: Sequence[str],
        group_id: str,
        handler: Handler | None = None,
        group_handler: GroupHandler | None = None,
        order_key: OrderKey = by_tenant,
        retry: RetryPolicy | None = None,
        start_at: str = "earliest",
    ) -> ConsumerRunner:
        """Start a watched consumer loop for ``topics``.

        ``start_at="latest"``: a new group skips what was published before it (live
        fan-out groups, one per process, that only forward what happens from now on).
        """
        runner = ConsumerRunner(
            settings=self.settings.kafka,
            topics=topics,
            group_id=group_id,
            handler=handler,
            group_handler=group_handler,
            producer=self.producer,
            order_key=order_key,
            retry=retry,
            start_at=start_at,
        )
        self.consumers.append(runner)
        self.tasks.start(f"consumer:{group_id}", runner.run())
        return runner

    async def readiness(self) -> dict[str, bool]:
        """Each dependency and loop, and whether it answers: the broker and the database
        are asked at once, and one that has not answered within
        ``READINESS_TIMEOUT_SECONDS`` counts as down (a probe must not hang)."""
        pings = {"kafka": self.producer.ping()}
        if self.mongo is not None:
            pings["mongodb"] = ping(self.mongo)
        answers = await asyncio.gather(
            *(_within(check, READINESS_TIMEOUT_SECONDS) for check in pings.values())
        )
        checks = dict(zip(pings, answers, strict=True))
        for runner in self.consumers:
            checks[f"consumer:{runner.group_id}"] = runner.running
        return checks

    async def close(self) -> None:
        """Drain consumers, then close the producer and the database client."""
        for runner in self.consumers:
            runner.stop()
        await self.tasks.wait(SHUTDOWN_GRACE_SECONDS)
        await self.producer.stop()
        if self.mongo is not None:
            await self.mongo.close()


async def _within(check: Awaitable[bool], seconds: float) -> bool:
    try:
        return await asyncio.wait_for(check, seconds)
    except TimeoutError:
        return False


@asynccontextmanager
async def service_runtime(
    settings: ServiceSettings, *, service: str, database: str | None
) -> AsyncIterator[Runtime]:
    """Build a service's clients, yield them, and close them in reverse order."""
    configure_logging(service=service, level=settings.log_level)
    configure_tracing(service)
    producer = EventProducer(settings.kafka)
    await producer.start()
    mongo = make_mongo_client(settings.mongo, app_name=service) if database else None
    runtime = Runtime(settings, service=service, producer=producer, mongo=mongo, database=database)
    log.info("service.started", idempotent_producer=producer.idempotent)
    try:
        yield runtime
    finally:
        await runtime.close()
        log.info("service.stopped")


FASTAPI_OWN_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}
"""FastAPI's built-in OpenTelemetry switches on once a tracer provider is installed and
then spans every request, dependency and serialisation again: a tenth of an ingest
request, beside :class:`RequestContext`'s own server span and Prometheus metrics."""


def service_app(
    title: str, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]]
) -> FastAPI:
    """A service's FastAPI application, instrumented by the platform alone."""
    return FastAPI(
        title=title, version="0.1.0", lifespan=lifespan, telemetry=FASTAPI_OWN_TELEMETRY_OFF
    )


def install_platform(
    app: FastAPI, *, max_body_bytes: int, larger_bodies: Mapping[str, int] | None = None
) -> None:
    """Problem bodies, body cap, correlation ids, metrics and probes for ``app``.

    The probes read ``app.state.runtime``, which the lifespan sets.
    """
    install_problem_handlers(app)
    register_problem(
        app, BrokerUnavailable, 503, problem="broker-unavailable", headers={"Retry-After": "5"}
    )
    app.add_exception_handler(EventRefused, _event_refused)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, larger=larger_bodies)
    app.add_middleware(RequestContext)

    async def readiness() -> dict[str, bool]:
        runtime: Runtime | None = getattr(app.state, "runtime", None)
        return await runtime.readiness() if runtime else {"started": False}

    def dead_tasks() -> list[str]:
        runtime: Runtime | None = getattr(app.state, "runtime", None)
        return runtime.tasks.dead() if runtime else []

    app.include_router(health_router(readiness=readiness, dead_tasks=dead_tasks))


async def _event_refused(request: Request, exc: Exception) -> JSONResponse:
    """413 when what the request became is over the event size limit; 422 when the
    broker refuses it otherwise. Permanent either way: no Retry-After."""
    assert isinstance(exc, EventRefused)
    return problem_response(
        413 if exc.too_large else 422,
        detail=str(exc),
        problem="event-refused",
        instance=request.url.path,
    )
