"""ingest-email: the app factory and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cc_common.auth import Role
from cc_common.http.auth import principal_dependency
from cc_common.runtime import install_platform, service_runtime
from ingest_email.api import messages
from ingest_email.settings import EmailSettings

SERVICE = "ingest-email"


def create_app(settings: EmailSettings | None = None) -> FastAPI:
    """Build the ingest-email application."""
    settings = settings or EmailSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(settings, service=SERVICE, database=None) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(title="ingest-email", version="0.1.0", lifespan=lifespan)
    install_platform(app, max_body_bytes=settings.max_body_bytes)
    authenticate = principal_dependency(
        settings.auth, roles=frozenset({Role.INTEGRATION, Role.ADMIN})
    )
    app.include_router(messages.build_router(authenticate))
    return app
