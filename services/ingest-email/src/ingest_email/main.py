"""ingest-email: the app factory and its lifespan (HTTP, SMTP and the reply sender)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from cc_common.auth import Role
from cc_common.events import VERIFICATION_REQUESTED, Channel
from cc_common.http.auth import principal_dependency
from cc_common.kafka.by_type import ByEventType
from cc_common.kafka.consumer import RetryPolicy, by_conversation
from cc_common.kafka.reply_guard import SettleRefusedReplies
from cc_common.language import warm_up_in_background
from cc_common.mongo import ensure_indexes
from cc_common.outbox import OutboxRelay
from cc_common.runtime import install_platform, service_app, service_runtime
from cc_common.topics import INTERACTIONS, OUTBOUND
from ingest_email.adapters import blobs, thread_index
from ingest_email.adapters.relay import Relay
from ingest_email.adapters.sns_certificates import SnsVerifier
from ingest_email.api import attachments, messages, providers
from ingest_email.consumers.outbound import EmailReplyHandler
from ingest_email.consumers.verification import CodeMailHandler
from ingest_email.domain.tenants import TenantDirectory
from ingest_email.domain.webhook_auth import ReplayGuard
from ingest_email.intake import EmailIntake
from ingest_email.settings import EmailSettings, EmailTenant
from ingest_email.smtp import start_smtp_server

REPLY_RETRIES = RetryPolicy(max_attempts=8, backoff_base=1.0, backoff_cap=30.0)
"""A provider outage is retried for about two minutes; then the reply fails with the
reason and the request is dead-lettered (replayable)."""
SERVICE = "ingest-email"
INDEXES = (*thread_index.INDEXES, *blobs.INDEXES)


def create_app(settings: EmailSettings | None = None) -> FastAPI:
    """Build the ingest-email application."""
    settings = settings or EmailSettings()
    directory = TenantDirectory(settings.tenants, unconfigured=EmailTenant)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(settings, service=SERVICE, database=settings.database) as rt:
            await ensure_indexes(rt.db, INDEXES)
            warm_up_in_background()
            index = thread_index.ThreadIndex(rt.db)
            app.state.runtime = rt
            app.state.blobs = blobs.BlobStore(rt.db)
            app.state.intake = EmailIntake(
                directory=directory,
                index=index,
                blobs=app.state.blobs,
                producer=rt.producer,
                topic=INTERACTIONS.name,
            )
            relay = Relay(settings.relay)
            replies = SettleRefusedReplies(
                EmailReplyHandler(
                    directory=directory,
                    index=index,
                    relay=relay,
                    producer=rt.producer,
                    topic=INTERACTIONS.name,
                ),
                channels=(Channel.EMAIL,),
                producer=rt.producer,
                topic=INTERACTIONS.name,
                source=SERVICE,
                give_up_after=REPLY_RETRIES.max_attempts,
            )
            rt.add_consumer(
                topics=[OUTBOUND.name],
                group_id=settings.outbound_consumer_group,
                handler=ByEventType(
                    {VERIFICATION_REQUESTED: CodeMailHandler(directory=directory, relay=relay)},
                    default=replies,
                ),
                # A relay outage is retried for about two minutes, then dead-lettered.
                retry=REPLY_RETRIES,
                order_key=by_conversation,
            )
            outbox = OutboxRelay(stores=[index.outbox], producer=rt.producer)
            rt.tasks.start("outbox-relay", outbox.run())
            smtp = (
                await start_smtp_server(settings, app.state.intake)
                if settings.smtp_port is not None
                else None
            )
            async with httpx.AsyncClient(timeout=10) as http:
                app.state.http = http
                app.state.sns_verifier = SnsVerifier(
                    http,
                    host_pattern=settings.sns_certificate_hosts,
                    scheme=settings.sns_certificate_scheme,
                )
                try:
                    yield
                finally:
                    outbox.stop()
                    if smtp is not None:
                        smtp.close()
                        await smtp.wait_closed()

    app = service_app("ingest-email", lifespan)
    install_platform(app, max_body_bytes=settings.max_body_bytes)
    app.state.settings = settings
    app.state.directory = directory
    app.state.replay_guard = ReplayGuard()
    authenticate = principal_dependency(
        settings.auth, roles=frozenset({Role.INTEGRATION, Role.ADMIN})
    )
    app.include_router(messages.build_router(authenticate))
    app.include_router(providers.router)
    app.include_router(
        attachments.build_router(
            principal_dependency(
                settings.auth,
                roles=frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATION}),
            )
        )
    )
    return app
