"""router: the app factory, its lifespan and its consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cc_common.auth import Role
from cc_common.http.auth import principal_dependency
from cc_common.mongo import ensure_indexes
from cc_common.runtime import install_platform, service_runtime
from cc_common.topics import INTERACTIONS
from router_service.adapters.task_store import INDEXES, TaskStore
from router_service.api import queues
from router_service.consumers.interactions import InteractionHandler
from router_service.settings import RouterSettings

SERVICE = "router"


def create_app(settings: RouterSettings | None = None) -> FastAPI:
    """Build the router application (HTTP API plus its Kafka consumer)."""
    settings = settings or RouterSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(settings, service=SERVICE, database=settings.database) as rt:
            await ensure_indexes(rt.db, INDEXES)
            store = TaskStore(rt.db)
            app.state.runtime = rt
            app.state.task_store = store
            rt.add_consumer(
                topics=[INTERACTIONS.name],
                group_id=settings.consumer_group,
                handler=InteractionHandler(store=store, producer=rt.producer),
            )
            yield

    app = FastAPI(title="router", version="0.1.0", lifespan=lifespan)
    install_platform(app, max_body_bytes=settings.max_body_bytes)
    authenticate = principal_dependency(
        settings.auth, roles=frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
    )
    app.include_router(queues.build_router(authenticate))
    return app
