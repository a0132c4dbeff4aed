"""ingest-chat: the app factory and its lifespan."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI

from cc_common.auth import Role
from cc_common.events import VERIFICATION_REQUESTED
from cc_common.http.auth import principal_dependency
from cc_common.http.rate_limit import RateLimiter
from cc_common.kafka.by_type import ByEventType
from cc_common.kafka.consumer import RetryPolicy, by_conversation
from cc_common.kafka.reply_guard import SettleRefusedReplies
from cc_common.language import warm_up_in_background
from cc_common.mongo import ensure_indexes
from cc_common.runtime import install_platform, service_app, service_runtime
from cc_common.topics import INTERACTIONS, OUTBOUND, SIGNALS
from ingest_chat.adapters import agent_messages, sent_replies, verification_codes
from ingest_chat.adapters.agent_messages import AgentMessages
from ingest_chat.adapters.line_api import LineApi
from ingest_chat.adapters.line_profiles import LineProfiles
from ingest_chat.adapters.live import LiveConnections
from ingest_chat.adapters.media import ProviderMedia
from ingest_chat.adapters.reply_tokens import ReplyTokens
from ingest_chat.adapters.senders import MetaSender, TelegramSender, TwilioSmsSender
from ingest_chat.adapters.sent_replies import SentReplies
from ingest_chat.adapters.visitor_files import VisitorFiles
from ingest_chat.adapters.visitor_tokens import VisitorTokens
from ingest_chat.api import attachments, line, providers, webchat, webchat_verification
from ingest_chat.consumers.outbound import MessagingReplyHandler, WebchatSender, channel_senders
from ingest_chat.consumers.signals import VisitorSignals
from ingest_chat.consumers.verification import CodeSmsHandler
from ingest_chat.email_fallback import EmailFallback
from ingest_chat.settings import ChatSettings

REPLY_RETRIES = RetryPolicy(max_attempts=8, backoff_base=1.0, backoff_cap=30.0)
"""A provider outage is retried for about two minutes; then the reply fails with the
reason and the request is dead-lettered (replayable)."""
SERVICE = "ingest-chat"
INDEXES = (*agent_messages.INDEXES, *sent_replies.INDEXES, *verification_codes.INDEXES)


def create_app(settings: ChatSettings | None = None) -> FastAPI:
    """Build the ingest-chat application."""
    settings = settings or ChatSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(
            settings, service=SERVICE, database=settings.database
        ) as runtime:
            await ensure_indexes(runtime.db, INDEXES)
            warm_up_in_background()
            app.state.runtime = runtime
            app.state.agent_messages = AgentMessages(runtime.db)
            app.state.visitor_files = VisitorFiles(runtime.db)
            app.state.verification_codes = verification_codes.VerificationCodes(runtime.db)
            async with httpx.AsyncClient(timeout=10) as http:
                app.state.provider_media = ProviderMedia(http)
                app.state.line_profiles = LineProfiles(http)
                sms = TwilioSmsSender(http)
                senders = channel_senders(
                    settings,
                    line=LineApi(http),
                    meta=MetaSender(http),
                    telegram=TelegramSender(http),
                    sms=sms,
                    webchat=WebchatSender(
                        app.state.agent_messages, app.state.live, runtime.producer
                    ),
                    tokens=app.state.reply_tokens,
                )
                runtime.add_consumer(
                    topics=[OUTBOUND.name],
                    group_id=settings.outbound_consumer_group,
                    handler=ByEventType(
                        {VERIFICATION_REQUESTED: CodeSmsHandler(settings=settings, sms=sms)},
                        default=SettleRefusedReplies(
                            MessagingReplyHandler(
                                senders=senders,
                                producer=runtime.producer,
                                topic=INTERACTIONS.name,
                                sent_record=SentReplies(runtime.db),
                            ),
                            channels=senders,
                            producer=runtime.producer,
                            topic=INTERACTIONS.name,
                            source=SERVICE,
                            give_up_after=REPLY_RETRIES.max_attempts,
                        ),
                    ),
                    # Provider outages are retried for about two minutes, then dead-lettered.
                    retry=REPLY_RETRIES,
                    order_key=by_conversation,
                )
                runtime.add_consumer(
                    topics=[SIGNALS.name],
                    group_id=f"{settings.outbound_consumer_group}-live-{uuid.uuid4().hex[:12]}",
                    handler=VisitorSignals(app.state.live, app.state.agent_messages),
                    start_at="latest",
                )
                fallback = EmailFallback(
                    app.state.agent_messages,
                    runtime.producer,
                    after=timedelta(minutes=settings.email_fallback_minutes),
                    interval_seconds=settings.email_fallback_check_seconds,
                )
                if settings.email_fallback_minutes > 0:
                    runtime.tasks.start("webchat-email-fallback", fallback.run())
                try:
                    yield
                finally:
                    fallback.stop()

    app = service_app("ingest-chat", lifespan)
    app.state.visitor_tokens = VisitorTokens(
        settings.visitor_token_secret.get_secret_value(),
        ttl_seconds=settings.visitor_token_ttl_seconds,
    )
    app.state.settings = settings
    app.state.reply_tokens = ReplyTokens()
    app.state.live = LiveConnections()
    app.state.visitor_limit = RateLimiter(
        rate=settings.visitor_messages_per_second, burst=settings.visitor_message_burst
    )
    # One "typing" and one "stopped" signal per conversation every two seconds.
    app.state.typing_limit = RateLimiter(rate=0.5, burst=1)
    # Messages from one address across all its visitors' conversations.
    app.state.ip_message_limit = RateLimiter(
        rate=settings.messages_per_ip_per_second, burst=settings.message_burst_per_ip
    )
    # Every WebSocket frame of a visitor (receipts, typing, resumes, messages).
    app.state.frame_limit = RateLimiter(
        rate=settings.visitor_frames_per_second, burst=settings.visitor_frame_burst
    )
    app.state.ip_limit = RateLimiter(
        rate=settings.conversations_per_ip_per_second, burst=settings.conversation_burst_per_ip
    )
    # Only the upload route takes large bodies (the file plus its multipart framing).
    install_platform(
        app,
        max_body_bytes=settings.max_body_bytes,
        larger_bodies={"/v1/webchat/files": settings.max_upload_bytes + 64 * 1024},
    )
    app.include_router(webchat.router)
    app.include_router(webchat_verification.router)
    app.include_router(
        attachments.build_router(
            principal_dependency(
                settings.auth,
                roles=frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATION}),
            )
        )
    )
    app.include_router(line.router)
    app.include_router(providers.router)
    return app
