"""ingest-chat: the app factory and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cc_common.runtime import install_platform, service_runtime
from ingest_chat.adapters.visitor_tokens import VisitorTokens
from ingest_chat.api import webchat
from ingest_chat.settings import ChatSettings

SERVICE = "ingest-chat"


def create_app(settings: ChatSettings | None = None) -> FastAPI:
    """Build the ingest-chat application."""
    settings = settings or ChatSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(settings, service=SERVICE, database=None) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(title="ingest-chat", version="0.1.0", lifespan=lifespan)
    app.state.visitor_tokens = VisitorTokens(
        settings.visitor_token_secret.get_secret_value(),
        ttl_seconds=settings.visitor_token_ttl_seconds,
    )
    install_platform(app, max_body_bytes=settings.max_body_bytes)
    app.include_router(webchat.router)
    return app
