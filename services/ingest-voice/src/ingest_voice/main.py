"""ingest-voice: the app factory and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from cc_common.auth import Role
from cc_common.events import Channel
from cc_common.http.auth import principal_dependency
from cc_common.kafka.consumer import RetryPolicy, by_conversation
from cc_common.kafka.reply_guard import SettleRefusedReplies
from cc_common.mongo import ensure_indexes
from cc_common.runtime import install_platform, service_app, service_runtime
from cc_common.topics import INTERACTIONS, OUTBOUND
from ingest_voice.adapters import placed_calls
from ingest_voice.adapters.twilio_calls import TwilioCalls
from ingest_voice.api import cti, twilio
from ingest_voice.consumers.outbound import OutboundCallHandler
from ingest_voice.settings import VoiceSettings

REPLY_RETRIES = RetryPolicy(max_attempts=8, backoff_base=1.0, backoff_cap=30.0)
"""A provider outage is retried for about two minutes; then the reply fails with the
reason and the request is dead-lettered (replayable)."""
SERVICE = "ingest-voice"


def create_app(settings: VoiceSettings | None = None) -> FastAPI:
    """Build the ingest-voice application."""
    settings = settings or VoiceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(
            settings, service=SERVICE, database=settings.database
        ) as runtime:
            await ensure_indexes(runtime.db, placed_calls.INDEXES)
            app.state.runtime = runtime
            async with httpx.AsyncClient(timeout=10) as http:
                runtime.add_consumer(
                    topics=[OUTBOUND.name],
                    group_id=settings.outbound_consumer_group,
                    handler=SettleRefusedReplies(
                        OutboundCallHandler(
                            settings=settings,
                            calls=TwilioCalls(http),
                            producer=runtime.producer,
                            placed=placed_calls.PlacedCalls(runtime.db),
                        ),
                        channels=(Channel.VOICE,),
                        producer=runtime.producer,
                        topic=INTERACTIONS.name,
                        source=SERVICE,
                        give_up_after=REPLY_RETRIES.max_attempts,
                    ),
                    # A provider outage is retried for about two minutes, then dead-lettered.
                    retry=REPLY_RETRIES,
                    order_key=by_conversation,
                )
                yield

    app = service_app("ingest-voice", lifespan)
    install_platform(app, max_body_bytes=settings.max_body_bytes)
    authenticate = principal_dependency(
        settings.auth, roles=frozenset({Role.INTEGRATION, Role.ADMIN})
    )
    app.state.settings = settings
    app.include_router(cti.build_router(authenticate))
    app.include_router(twilio.router)
    return app
