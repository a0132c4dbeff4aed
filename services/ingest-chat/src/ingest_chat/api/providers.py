"""Meta (Messenger, Instagram, WhatsApp) and Telegram webhooks."""

# No `from __future__ import annotations`: FastAPI resolves the annotations.

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from cc_common.http.twilio_form import verified_twilio_form
from cc_common.kafka.dead_letters import rejected_payload_headers
from cc_common.kafka.producer import EventProducer
from cc_common.logging import get_logger
from cc_common.metrics import SIGNATURE_FAILURES
from cc_common.topics import INTERACTIONS
from ingest_chat.domain import meta, sms, telegram
from ingest_chat.domain.messaging import Inbound, interaction_event
from ingest_chat.settings import ChatSettings

log = get_logger(__name__)
router = APIRouter(prefix="/v1", tags=["messaging providers"])
XML = "text/xml"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class WebhookAccepted(BaseModel):
    status: str
    events: int


async def publish_inbound(
    request: Request, tenant_id: str, inbounds: list[Inbound]
) -> WebhookAccepted:
    """Publish every event durably (the provider hears 200 only afterwards)."""
    producer: EventProducer = request.app.state.runtime.producer
    events = [interaction_event(tenant_id, i) for i in inbounds]
    if events:
        await producer.publish_many(INTERACTIONS.name, events)
    return WebhookAccepted(status="accepted", events=len(events))


async def dead_letter(
    request: Request, tenant_id: str, *, provider: str, body: bytes, reason: str
) -> WebhookAccepted:
    """A signed payload we cannot read: kept with the reason, answered 200 (a retry is the same)."""
    producer: EventProducer = request.app.state.runtime.producer
    headers = rejected_payload_headers(
        reason=reason, source=f"ingest-chat/{provider}", tenant_id=tenant_id
    )
    await producer.send_raw_many(INTERACTIONS.dlq, [(tenant_id.encode(), body, headers)])
    log.warning("chat.payload_dead_lettered", provider=provider, reason=reason)
    return WebhookAccepted(status="dead_lettered", events=0)


def _settings(request: Request) -> ChatSettings:
    settings: ChatSettings = request.app.state.settings
    return settings


@router.get("/meta/{tenant_id}/webhook", response_class=PlainTextResponse)
async def meta_handshake(tenant_id: str, request: Request) -> str:
    """Meta's subscription handshake: echo ``hub.challenge`` for our verify token."""
    app = _settings(request).meta.get(tenant_id)
    if app is None:
        raise HTTPException(404, "No Meta app for this tenant.")
    tokens = [t.get_secret_value() for t in app.verify_tokens]
    challenge = meta.challenge_answer(dict(request.query_params), tokens)
    if challenge is None:
        SIGNATURE_FAILURES.labels("meta").inc()
        raise HTTPException(403, "The verify token does not match.")
    return challenge


@router.post("/meta/{tenant_id}/webhook")
async def meta_webhook(tenant_id: str, request: Request) -> WebhookAccepted:
    """Messenger, Instagram and WhatsApp notifications, signed with the app secret."""
    app = _settings(request).meta.get(tenant_id)
    if app is None:
        raise HTTPException(404, "No Meta app for this tenant.")
    body = await request.body()
    secrets = [s.get_secret_value() for s in app.app_secrets]
    if not meta.signature_valid(secrets, body, request.headers.get("x-hub-signature-256")):
        SIGNATURE_FAILURES.labels("meta").inc()
        raise HTTPException(401, "The X-Hub-Signature-256 does not match.")
    try:
        inbounds = meta.meta_events(body)
    except meta.InvalidMetaPayload as exc:
        return await dead_letter(request, tenant_id, provider="meta", body=body, reason=str(exc))
    return await publish_inbound(request, tenant_id, inbounds)


@router.post("/telegram/{tenant_id}/webhook")
async def telegram_webhook(tenant_id: str, request: Request) -> WebhookAccepted:
    """Telegram updates, authenticated by the webhook's secret token header."""
    bot = _settings(request).telegram.get(tenant_id)
    if bot is None:
        raise HTTPException(404, "No Telegram bot for this tenant.")
    secrets = [s.get_secret_value() for s in bot.secret_tokens]
    if not telegram.secret_valid(secrets, request.headers.get("x-telegram-bot-api-secret-token")):
        SIGNATURE_FAILURES.labels("telegram").inc()
        raise HTTPException(401, "The secret token does not match.")
    body = await request.body()
    try:
        inbound = telegram.telegram_update(body)
    except telegram.InvalidTelegramUpdate as exc:
        return await dead_letter(
            request, tenant_id, provider="telegram", body=body, reason=str(exc)
        )
    return await publish_inbound(request, tenant_id, [inbound] if inbound else [])


@router.post(
    "/twilio/{tenant_id}/sms", response_class=Response, responses={200: {"content": {XML: {}}}}
)
async def twilio_sms(tenant_id: str, request: Request) -> Response:
    """Incoming SMS/MMS and status callbacks, checked with ``X-Twilio-Signature``."""
    settings = _settings(request)
    account = settings.twilio_sms.get(tenant_id)
    if account is None:
        raise HTTPException(404, "No Twilio messaging account for this tenant.")
    fields = await verified_twilio_form(
        request,
        account.auth_tokens,
        public_base_url=settings.public_base_url,
        provider="twilio-sms",
    )
    try:
        inbound = sms.sms_event(fields)
    except sms.InvalidSmsWebhook as exc:
        await dead_letter(
            request, tenant_id, provider="twilio-sms", body=await request.body(), reason=str(exc)
        )
        return Response(EMPTY_TWIML, media_type=XML)
    await publish_inbound(request, tenant_id, [inbound] if inbound else [])
    return Response(EMPTY_TWIML, media_type=XML)
