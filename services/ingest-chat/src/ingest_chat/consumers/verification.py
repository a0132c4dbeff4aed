"""Sends one-time codes by SMS (``verification.requested`` on the SMS channel), with
the tenant's Twilio number. A redelivery sends the same code again (harmless), an
expired one is dropped, Twilio's refusal is logged (the visitor may ask again), and
its outage is retried by the consumer. The code never reaches a log or a timeline."""

from __future__ import annotations

from cc_common.events import Channel, utc_now, verification_request_for
from cc_common.kafka.consumer import Delivery
from cc_common.logging import get_logger
from ingest_chat.adapters.line_api import PermanentSendFailure
from ingest_chat.adapters.senders import TwilioSmsSender
from ingest_chat.domain.verification import code_text
from ingest_chat.settings import ChatSettings

log = get_logger(__name__)


class CodeSmsHandler:
    def __init__(self, *, settings: ChatSettings, sms: TwilioSmsSender) -> None:
        self._settings = settings
        self._sms = sms

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        request = verification_request_for(event, Channel.SMS)
        if request is None:
            return
        fields = {"tenant_id": event.tenant_id, "challenge_id": str(request.challenge_id)}
        now = utc_now()
        if now >= request.expires_at:
            log.info("sms.code_expired_unsent", **fields)
            return
        account = self._settings.twilio_sms.get(event.tenant_id)
        if account is None:
            log.warning("sms.code_unsent", reason="the tenant has no SMS account", **fields)
            return
        minutes = request.minutes_left(now)
        try:
            await self._sms.send_text(
                account, request.recipient.value, code_text(request.code, minutes)
            )
        except PermanentSendFailure as exc:
            log.warning("sms.code_refused", reason=str(exc), **fields)
            return
        log.info("sms.code_sent", **fields)
