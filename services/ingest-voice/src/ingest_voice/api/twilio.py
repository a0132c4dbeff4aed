"""Twilio Programmable Voice webhooks: every request's X-Twilio-Signature is checked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request, Response

from cc_common.http.twilio_form import verified_twilio_form
from ingest_voice.api.publishing import publish_calls
from ingest_voice.domain import twilio
from ingest_voice.domain.calls import CallEvent
from ingest_voice.settings import TwilioAccount, VoiceSettings

router = APIRouter(prefix="/v1/twilio/{tenant_id}/voice", tags=["twilio"])
XML = "application/xml"


async def _verified(request: Request, tenant_id: str) -> tuple[twilio.Form, TwilioAccount]:
    settings: VoiceSettings = request.app.state.settings
    account = settings.twilio.get(tenant_id)
    if account is None:
        raise HTTPException(404, "No Twilio account is configured for this tenant.")
    fields = await verified_twilio_form(
        request, account.auth_tokens, public_base_url=settings.public_base_url, provider="twilio"
    )
    return twilio.Form(fields), account


def _url(request: Request, settings: VoiceSettings, tenant_id: str, leaf: str) -> str:
    base = settings.public_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/v1/twilio/{tenant_id}/voice/{leaf}"


def _now() -> datetime:
    return datetime.now(UTC)


def _refuse(exc: twilio.InvalidWebhook) -> HTTPException:
    return HTTPException(422, f"Not a Twilio voice webhook: {exc}")


@router.post("/incoming", response_class=Response, responses={200: {"content": {XML: {}}}})
async def incoming(tenant_id: str, request: Request) -> Response:
    """A call arrives: record it, greet, and gather the IVR choice."""
    form, account = await _verified(request, tenant_id)
    try:
        await publish_calls(request, tenant_id, [twilio.incoming_call(form, _now())])
    except twilio.InvalidWebhook as exc:
        raise _refuse(exc) from exc
    ivr = _url(request, request.app.state.settings, tenant_id, "ivr")
    return Response(twilio.twiml_welcome(account.menu, ivr), media_type=XML)


@router.post("/ivr", response_class=Response, responses={200: {"content": {XML: {}}}})
async def ivr(tenant_id: str, request: Request) -> Response:
    """The caller chose (keys or speech): queue the call with the choice's skills."""
    form, account = await _verified(request, tenant_id)
    try:
        chose, queued, option = twilio.ivr_choice(form, account.menu, _now())
    except twilio.InvalidWebhook as exc:
        raise _refuse(exc) from exc
    await publish_calls(request, tenant_id, [chose, queued])
    action = _url(request, request.app.state.settings, tenant_id, "queue-result")
    return Response(twilio.twiml_enqueue(option.queue, action), media_type=XML)


@router.post("/queue-result", response_class=Response, responses={200: {"content": {XML: {}}}})
async def queue_result(tenant_id: str, request: Request) -> Response:
    """The caller left the queue: bridged to an agent, or hung up waiting."""
    form, _ = await _verified(request, tenant_id)
    try:
        event = twilio.queue_result(form, _now())
    except twilio.InvalidWebhook as exc:
        raise _refuse(exc) from exc
    await publish_calls(request, tenant_id, [event] if event else [])
    return Response(twilio.EMPTY_TWIML, media_type=XML)


@router.post("/outbound-answer", response_class=Response, responses={200: {"content": {XML: {}}}})
async def outbound_answer(tenant_id: str, agent: str, request: Request) -> Response:
    """The customer picked up a callback: connect the agent's softphone."""
    await _verified(request, tenant_id)
    action = _url(request, request.app.state.settings, tenant_id, "dial-result")
    return Response(
        twilio.twiml_dial_agent(agent, f"{action}?{urlencode({'agent': agent})}"), media_type=XML
    )


@router.post("/dial-result", response_class=Response, responses={200: {"content": {XML: {}}}})
async def dial_result(tenant_id: str, request: Request, agent: str | None = None) -> Response:
    """A ``<Dial action>``: the dialled leg answered or not; record it, then hang up."""
    form, _ = await _verified(request, tenant_id)
    try:
        event = twilio.dial_result(form, agent, _now())
    except twilio.InvalidWebhook as exc:
        raise _refuse(exc) from exc
    await publish_calls(request, tenant_id, [event] if event else [])
    return Response(twilio.EMPTY_TWIML, media_type=XML)


def _one(
    parse: Callable[[twilio.Form, datetime], CallEvent | None],
) -> Callable[[twilio.Form, datetime], list[CallEvent]]:
    def parse_list(form: twilio.Form, at: datetime) -> list[CallEvent]:
        event = parse(form, at)
        return [event] if event else []

    return parse_list


async def _callback(
    request: Request,
    tenant_id: str,
    parse: Callable[[twilio.Form, datetime], list[CallEvent]],
) -> Response:
    """Verify, normalise and publish one status-like callback; 204 once durable."""
    form, _ = await _verified(request, tenant_id)
    try:
        events = parse(form, _now())
    except twilio.InvalidWebhook as exc:
        raise _refuse(exc) from exc
    await publish_calls(request, tenant_id, events)
    return Response(status_code=204)


@router.post("/status", status_code=204)
async def status(tenant_id: str, request: Request) -> Response:
    """A call status callback (ringing, completed, busy, no-answer, failed, canceled)."""
    return await _callback(request, tenant_id, twilio.status_callback)


@router.post("/recording", status_code=204)
async def recording(tenant_id: str, request: Request) -> Response:
    """A recording is ready: attach it to the call by reference."""
    return await _callback(request, tenant_id, _one(twilio.recording_callback))


@router.post("/transcription", status_code=204)
async def transcription(tenant_id: str, request: Request) -> Response:
    """A transcription is ready: attach its text to the call."""
    return await _callback(request, tenant_id, _one(twilio.transcription_callback))
