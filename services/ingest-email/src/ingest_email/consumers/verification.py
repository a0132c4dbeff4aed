"""Sends one-time codes (``verification.requested`` on the email channel).

A code is worth sending once; a redelivery sends it again (harmless: the same code),
an expired one is dropped, and a relay's permanent refusal is logged (the visitor
sees no code and may ask again).
"""

from __future__ import annotations

from cc_common.events import Channel, utc_now, verification_request_for
from cc_common.kafka.consumer import Delivery
from cc_common.logging import get_logger
from ingest_email.adapters.relay import PermanentSendFailure
from ingest_email.consumers.outbound import Sender
from ingest_email.domain.tenants import TenantDirectory
from ingest_email.domain.verification import code_mail
from ingest_email.settings import EmailTenant

log = get_logger(__name__)


class CodeMailHandler:
    def __init__(self, *, directory: TenantDirectory[EmailTenant], relay: Sender) -> None:
        self._directory = directory
        self._relay = relay

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        request = verification_request_for(event, Channel.EMAIL)
        if request is None:
            return
        now = utc_now()
        fields = {"tenant_id": event.tenant_id, "challenge_id": str(request.challenge_id)}
        if now >= request.expires_at:
            log.info("email.code_expired_unsent", **fields)
            return
        mail = self._directory.get_or_unconfigured(event.tenant_id)
        if mail.reply_from is None:
            log.warning("email.code_unsent", reason="the tenant has no address", **fields)
            return
        message = code_mail(
            request, from_address=mail.reply_from, from_name=mail.config.from_name, sent_at=now
        )
        try:
            await self._relay.send(message)
        except PermanentSendFailure as exc:
            log.warning("email.code_refused", reason=str(exc), **fields)
            return
        log.info("email.code_sent", **fields)
