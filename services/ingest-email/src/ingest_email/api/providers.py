"""Provider inbound webhooks: Amazon SES through SNS, Mailgun, SendGrid and Postmark.

Every request is authenticated by its provider's own scheme before anything is
read; a refused signature is 401 and counted. A verified payload that cannot
be made into a message is kept on the dead-letter topic with the reason (the
provider gets 200: resending the same bytes cannot help).
"""

# No `from __future__ import annotations`: FastAPI resolves the annotations.
import json
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from cc_common.kafka.dead_letters import rejected_payload_headers
from cc_common.kafka.producer import EventProducer
from cc_common.logging import get_logger
from cc_common.metrics import SIGNATURE_FAILURES
from cc_common.topics import INTERACTIONS
from ingest_email.adapters.sns_certificates import (
    CertificateUnavailable,
    SignatureRejected,
    SnsVerifier,
)
from ingest_email.domain import feedback, provider_forms, sns, webhook_auth
from ingest_email.domain.mime import UnreadableMessage
from ingest_email.domain.tenants import TenantMail
from ingest_email.intake import EmailIntake, UnknownRecipient
from ingest_email.settings import EmailSettings, EmailTenant

log = get_logger(__name__)
router = APIRouter(prefix="/v1/providers", tags=["providers"])
_SENDGRID_SIGNATURE = "x-twilio-email-event-webhook-signature"
_SENDGRID_TIMESTAMP = "x-twilio-email-event-webhook-timestamp"


class ProviderAccepted(BaseModel):
    status: str
    message_ids: list[str] = []


def _tenant(request: Request, tenant_id: str) -> TenantMail[EmailTenant]:
    mail: TenantMail[EmailTenant] | None = request.app.state.directory.get(tenant_id)
    if mail is None:
        raise HTTPException(404, "No mail setup for this tenant.")
    return mail


def _refuse(provider: str, detail: str) -> HTTPException:
    SIGNATURE_FAILURES.labels(provider).inc()
    return HTTPException(401, detail)


async def _accept(
    request: Request, raw: bytes, *, provider: str, tenant_id: str, payload: bytes | None = None
) -> ProviderAccepted:
    intake: EmailIntake = request.app.state.intake
    try:
        results = await intake.accept(raw, provider=provider, tenant_id=tenant_id)
    except (UnreadableMessage, UnknownRecipient) as exc:
        await _dead_letter(
            request, payload or raw, provider=provider, tenant_id=tenant_id, reason=str(exc)
        )
        return ProviderAccepted(status="dead_lettered")
    return ProviderAccepted(status="accepted", message_ids=[r.message_id for r in results])


async def _dead_letter(
    request: Request, payload: bytes, *, provider: str, tenant_id: str, reason: str
) -> None:
    """Keep an unusable payload (by reference when large) with the reason."""
    producer: EventProducer = request.app.state.runtime.producer
    blobs = request.app.state.blobs
    blob_id = await blobs.put(
        tenant_id, payload, filename=f"{provider}-payload", content_type="application/octet-stream"
    )
    record = json.dumps(
        {"tenant_id": tenant_id, "provider": provider, "reason": reason, "payload_blob_id": blob_id}
    ).encode()
    headers = rejected_payload_headers(
        reason=reason, source=f"ingest-email/{provider}", tenant_id=tenant_id
    )
    await producer.send_raw_many(INTERACTIONS.dlq, [(tenant_id.encode(), record, headers)])
    log.warning(
        "email.provider_payload_dead_lettered",
        provider=provider,
        tenant_id=tenant_id,
        reason=reason,
    )


@router.post("/ses/{tenant_id}")
async def ses_via_sns(tenant_id: str, request: Request) -> ProviderAccepted:
    """Amazon SES receipt notifications (action SNS) and SNS subscription handshakes."""
    mail = _tenant(request, tenant_id)
    settings: EmailSettings = request.app.state.settings
    body = await request.body()
    try:
        message = sns.parse_sns(body)
    except sns.InvalidSnsMessage as exc:
        raise _refuse("sns", f"Not a signed SNS message: {exc}") from exc
    verifier: SnsVerifier = request.app.state.sns_verifier
    try:
        await verifier.verify(message)
    except SignatureRejected as exc:
        raise _refuse("sns", str(exc)) from exc
    except CertificateUnavailable as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "30"}) from exc
    if message.topic_arn not in mail.config.sns_topic_arns:
        raise HTTPException(403, "This tenant does not take notifications from that topic.")
    if message.type == sns.SUBSCRIPTION_CONFIRMATION:
        await _confirm_subscription(request, settings, message)
        return ProviderAccepted(status="subscribed")
    if message.type == sns.UNSUBSCRIBE_CONFIRMATION:
        log.warning("email.sns_unsubscribed", tenant_id=tenant_id, topic=message.topic_arn)
        return ProviderAccepted(status="unsubscribed")
    notification = message.fields.get("Message", "")
    try:
        feedback_on_sent_mail = feedback.ses_feedback(notification)
    except feedback.InvalidFeedback as exc:
        await _dead_letter(request, body, provider="ses", tenant_id=tenant_id, reason=str(exc))
        return ProviderAccepted(status="dead_lettered")
    if feedback_on_sent_mail is not None:
        intake: EmailIntake = request.app.state.intake
        await intake.record_feedback(tenant_id, feedback_on_sent_mail)
        return ProviderAccepted(status="recorded", message_ids=[feedback_on_sent_mail.message_id])
    try:
        raw, _recipients = sns.ses_raw_email(notification)
    except sns.InvalidSnsMessage as exc:
        await _dead_letter(request, body, provider="ses", tenant_id=tenant_id, reason=str(exc))
        return ProviderAccepted(status="dead_lettered")
    return await _accept(request, raw, provider="ses", tenant_id=tenant_id, payload=body)


async def _confirm_subscription(
    request: Request, settings: EmailSettings, message: sns.SnsMessage
) -> None:
    url = message.fields.get("SubscribeURL", "")
    if not sns.on_provider_host(
        url, host_pattern=settings.sns_certificate_hosts, scheme=settings.sns_certificate_scheme
    ):
        raise HTTPException(422, "The SubscribeURL is not on an SNS host.")
    http: httpx.AsyncClient = request.app.state.http
    try:
        response = await http.get(url)
    except httpx.HTTPError as exc:
        raise HTTPException(503, "SNS did not answer the confirmation; retry later.") from exc
    if response.status_code >= 400:
        raise HTTPException(502, f"SNS refused the confirmation ({response.status_code}).")
    log.info("email.sns_subscribed", topic=message.topic_arn)


async def _form(request: Request) -> tuple[dict[str, str], list[provider_forms.UploadedFile]]:
    settings: EmailSettings = request.app.state.settings
    try:
        form = await request.form(max_part_size=settings.max_body_bytes, max_files=100)
    except Exception as exc:
        raise HTTPException(400, f"The form could not be read: {exc}") from exc
    fields: dict[str, str] = {}
    files: list[provider_forms.UploadedFile] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.append(
                provider_forms.UploadedFile(
                    filename=value.filename,
                    content_type=value.content_type or "application/octet-stream",
                    data=await value.read(),
                    field=name,
                )
            )
        else:
            fields.setdefault(name, str(value))
    return fields, files


@router.post("/mailgun/{tenant_id}")
async def mailgun(tenant_id: str, request: Request) -> ProviderAccepted:
    """A Mailgun route forwarding to this URL (raw MIME when the URL ends in ``/mime``)."""
    mail = _tenant(request, tenant_id)
    fields, files = await _form(request)
    keys = [k.get_secret_value() for k in mail.config.mailgun_signing_keys]
    token = fields.get("token", "")
    if not webhook_auth.mailgun_signature_valid(
        keys,
        timestamp=fields.get("timestamp", ""),
        token=token,
        signature=fields.get("signature", ""),
    ):
        raise _refuse("mailgun", "The Mailgun signature does not match (or is stale).")
    guard: webhook_auth.ReplayGuard = request.app.state.replay_guard
    if not guard.seen_before(f"mailgun:{token}"):
        try:
            raw = provider_forms.mailgun_message(fields, files)
        except provider_forms.InvalidProviderPayload as exc:
            payload = json.dumps(fields).encode()
            await _dead_letter(
                request, payload, provider="mailgun", tenant_id=tenant_id, reason=str(exc)
            )
            return ProviderAccepted(status="dead_lettered")
        accepted = await _accept(request, raw, provider="mailgun", tenant_id=tenant_id)
        guard.remember(f"mailgun:{token}")
        return accepted
    return ProviderAccepted(status="duplicate")


@router.post("/sendgrid/{tenant_id}")
async def sendgrid(tenant_id: str, request: Request) -> ProviderAccepted:
    """SendGrid Inbound Parse (raw or parsed), signed by a security policy or basic auth."""
    mail = _tenant(request, tenant_id)
    body = await request.body()
    keys = mail.config.sendgrid_verification_keys
    if keys:
        if not webhook_auth.ecdsa_signature_valid(
            keys,
            timestamp=request.headers.get(_SENDGRID_TIMESTAMP, ""),
            body=body,
            signature=request.headers.get(_SENDGRID_SIGNATURE, ""),
        ):
            raise _refuse("sendgrid", "The SendGrid signature does not match.")
    elif not _basic_auth_ok(mail, request):
        raise _refuse("sendgrid", "Credentials are missing or wrong.")
    fields, files = await _form(request)
    try:
        raw = provider_forms.sendgrid_message(fields, files)
    except provider_forms.InvalidProviderPayload as exc:
        await _dead_letter(request, body, provider="sendgrid", tenant_id=tenant_id, reason=str(exc))
        return ProviderAccepted(status="dead_lettered")
    return await _accept(request, raw, provider="sendgrid", tenant_id=tenant_id, payload=body)


@router.post("/postmark/{tenant_id}")
async def postmark(tenant_id: str, request: Request) -> ProviderAccepted:
    """Postmark inbound JSON, authenticated by the basic-auth credentials in its URL."""
    mail = _tenant(request, tenant_id)
    if not _basic_auth_ok(mail, request):
        raise _refuse("postmark", "Credentials are missing or wrong.")
    body = await request.body()
    try:
        document: Any = json.loads(body)
        raw = provider_forms.postmark_message(document)
    except (ValueError, provider_forms.InvalidProviderPayload) as exc:
        await _dead_letter(request, body, provider="postmark", tenant_id=tenant_id, reason=str(exc))
        return ProviderAccepted(status="dead_lettered")
    return await _accept(request, raw, provider="postmark", tenant_id=tenant_id, payload=body)


def _basic_auth_ok(mail: TenantMail[EmailTenant], request: Request) -> bool:
    credentials = [c.get_secret_value() for c in mail.config.inbound_basic_auth]
    return webhook_auth.basic_auth_valid(credentials, request.headers.get("authorization"))
