"""LINE Messaging API webhook: ``POST /v1/line/{tenant_id}/webhook``."""

# No `from __future__ import annotations`: FastAPI resolves the annotations.
from fastapi import APIRouter, HTTPException, Request

from cc_common.kafka.producer import EventProducer
from cc_common.metrics import SIGNATURE_FAILURES
from cc_common.topics import INTERACTIONS
from ingest_chat.adapters.line_profiles import LineProfiles
from ingest_chat.adapters.reply_tokens import ReplyTokens
from ingest_chat.api.providers import WebhookAccepted, dead_letter
from ingest_chat.domain.line import (
    InvalidLinePayload,
    line_events,
    line_user_ids,
    signature_valid,
)
from ingest_chat.settings import ChatSettings

router = APIRouter(prefix="/v1/line", tags=["line"])


@router.post("/{tenant_id}/webhook")
async def line_webhook(tenant_id: str, request: Request) -> WebhookAccepted:
    """Verify ``X-Line-Signature``, publish every event durably, then answer 200."""
    settings: ChatSettings = request.app.state.settings
    channel = settings.line.get(tenant_id)
    if channel is None:
        raise HTTPException(404, "No LINE channel for this tenant.")
    body = await request.body()
    secrets = [s.get_secret_value() for s in channel.channel_secrets]
    if not signature_valid(secrets, body, request.headers.get("x-line-signature")):
        SIGNATURE_FAILURES.labels("line").inc()
        raise HTTPException(401, "The X-Line-Signature does not match.")
    profiles: LineProfiles = request.app.state.line_profiles
    known = await profiles.lookup(tenant_id, channel, line_user_ids(body))
    try:
        events = line_events(tenant_id, body, known)
    except InvalidLinePayload as exc:
        return await dead_letter(request, tenant_id, provider="line", body=body, reason=str(exc))
    if events:
        producer: EventProducer = request.app.state.runtime.producer
        await producer.publish_many(INTERACTIONS.name, events)
    tokens: ReplyTokens = request.app.state.reply_tokens
    for event in events:
        token = event.data.provider_ids.get("reply_token")
        customer = event.data.customer()
        if token and customer is not None:
            tokens.remember(tenant_id, customer.identities[0].value, token)
    return WebhookAccepted(status="accepted", events=len(events))
