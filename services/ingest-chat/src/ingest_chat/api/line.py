"""LINE Messaging API webhook: ``POST /v1/line/{tenant_id}/webhook``."""

# No `from __future__ import annotations`: FastAPI resolves the annotations.
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from cc_common.kafka.dead_letters import rejected_payload_headers
from cc_common.kafka.producer import EventProducer
from cc_common.logging import get_logger
from cc_common.metrics import SIGNATURE_FAILURES
from cc_common.topics import INTERACTIONS
from ingest_chat.adapters.reply_tokens import ReplyTokens
from ingest_chat.domain.line import InvalidLinePayload, line_events, signature_valid
from ingest_chat.settings import ChatSettings

log = get_logger(__name__)
router = APIRouter(prefix="/v1/line", tags=["line"])


class WebhookAccepted(BaseModel):
    status: str
    events: int


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
    producer: EventProducer = request.app.state.runtime.producer
    try:
        events = line_events(tenant_id, body)
    except InvalidLinePayload as exc:
        headers = rejected_payload_headers(
            reason=str(exc), source="ingest-chat/line", tenant_id=tenant_id
        )
        await producer.send_raw_many(INTERACTIONS.dlq, [(tenant_id.encode(), body, headers)])
        log.warning("line.payload_dead_lettered", tenant_id=tenant_id, reason=str(exc))
        return WebhookAccepted(status="dead_lettered", events=0)
    if events:
        await producer.publish_many(INTERACTIONS.name, events)
    tokens: ReplyTokens = request.app.state.reply_tokens
    for event in events:
        token = event.data.provider_ids.get("reply_token")
        customer = event.data.customer()
        if token and customer is not None:
            tokens.remember(tenant_id, customer.identities[0].value, token)
    return WebhookAccepted(status="accepted", events=len(events))
