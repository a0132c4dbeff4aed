"""Places the calls agents ask for (``outbound.requested`` on the voice channel)."""

from __future__ import annotations

from datetime import UTC, datetime

from cc_common.errors import PermanentError
from cc_common.events import CallStatus, Channel, Direction, outbound_request_for
from cc_common.kafka.consumer import Delivery
from cc_common.kafka.producer import EventProducer
from cc_common.topics import INTERACTIONS
from ingest_voice.adapters.twilio_calls import TwilioCalls
from ingest_voice.domain.calls import CallEvent, call_interaction
from ingest_voice.settings import VoiceSettings


class OutboundCallHandler:
    def __init__(
        self, *, settings: VoiceSettings, calls: TwilioCalls, producer: EventProducer
    ) -> None:
        self._settings = settings
        self._calls = calls
        self._producer = producer

    async def __call__(self, delivery: Delivery) -> None:
        """Create the call with the tenant's provider and record it on the timeline."""
        event = delivery.event
        data = outbound_request_for(event, (Channel.VOICE,))
        if data is None:
            return
        account = self._settings.twilio.get(event.tenant_id)
        if account is None or not account.account_sid:
            raise PermanentError(f"tenant {event.tenant_id} has no Twilio account for calls")
        base = (self._settings.public_base_url or "").rstrip("/")
        prefix = f"{base}/v1/twilio/{event.tenant_id}/voice"
        placed = await self._calls.place(
            account,
            to=data.recipient.value,
            answer_url=f"{prefix}/outbound-answer?agent={data.agent_id}",
            status_url=f"{prefix}/status",
        )
        started = CallEvent(
            provider="twilio",
            call_id=placed.call_sid,
            status=CallStatus.STARTED,
            at=datetime.now(UTC),
            caller=data.recipient.value,
            direction=Direction.OUTBOUND,
            agent_id=data.agent_id,
            provider_ids={"reply_id": str(data.reply_id)},
        )
        await self._producer.publish(
            INTERACTIONS.name,
            call_interaction(
                event.tenant_id, started, default_region=self._settings.default_region
            ),
        )
