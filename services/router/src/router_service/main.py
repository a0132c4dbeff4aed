"""router: the app factory, its lifespan, its consumer and its timer loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cc_common.auth import Role
from cc_common.http.auth import principal_dependency
from cc_common.kafka.broker_log import BrokerLog
from cc_common.runtime import install_platform, service_app, service_runtime
from cc_common.topics import AGENTS, INTERACTIONS
from router_service.adapters.state_store import StateStore
from router_service.api import queues
from router_service.consumers.worker import RouterWorker
from router_service.settings import RouterSettings

SERVICE = "router"


def create_app(settings: RouterSettings | None = None) -> FastAPI:
    """Build the router application (HTTP API, Kafka consumer, timers)."""
    settings = settings or RouterSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(settings, service=SERVICE, database=settings.database) as rt:
            broker_log = BrokerLog(settings.kafka)
            worker = RouterWorker(
                store=StateStore(rt.db), producer=rt.producer, broker_log=broker_log
            )
            app.state.runtime = rt
            app.state.worker = worker
            rt.add_consumer(
                topics=[INTERACTIONS.name, AGENTS.name],
                group_id=settings.consumer_group,
                group_handler=worker.handle_group,
            )
            stop_ticking = asyncio.Event()
            rt.tasks.start("router:timers", worker.run_ticker(stop_ticking))
            try:
                yield
            finally:
                stop_ticking.set()
                await broker_log.close()

    app = service_app("router", lifespan)
    install_platform(app, max_body_bytes=settings.max_body_bytes)
    read = principal_dependency(
        settings.auth, roles=frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
    )
    manage = principal_dependency(settings.auth, roles=frozenset({Role.SUPERVISOR, Role.ADMIN}))
    app.include_router(queues.build_router(read=read, manage=manage))
    return app
