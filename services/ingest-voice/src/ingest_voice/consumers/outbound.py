"""Places the calls agents ask for (``outbound.requested`` on the voice channel), once:
the call's sid is recorded by reply id before it is announced, so a request delivered
again is announced again without ringing the customer twice."""

from __future__ import annotations

from datetime import UTC, datetime

from cc_common.errors import PermanentError
from cc_common.events import CallStatus, Channel, Direction, outbound_request_for
from cc_common.kafka.consumer import Delivery
from cc_common.kafka.producer import EventProducer
from cc_common.topics import INTERACTIONS
from ingest_voice.adapters.placed_calls import PlacedCalls
from ingest_voice.adapters.twilio_calls import TwilioCalls
from ingest_voice.domain.calls import CallEvent, call_interaction
from ingest_voice.settings import VoiceSettings


class OutboundCallHandler:
    def __init__(
        self,
        *,
        settings: VoiceSettings,
        calls: TwilioCalls,
        producer: EventProducer,
        placed: PlacedCalls,
    ) -> None:
        self._settings = settings
        self._calls = calls
        self._producer = producer
        self._placed = placed

    async def __call__(self, delivery: Delivery) -> None:
        """Create the call with the tenant's provider and record it on the timeline."""
        event = delivery.event
        data = outbound_request_for(event, (Channel.VOICE,))
        if data is None:
            return
        account = self._settings.twilio.get(event.tenant_id)
        if account is None or not account.account_sid:
            raise PermanentError(f"tenant {event.tenant_id} has no Twilio account for calls")
        reply_id = str(data.reply_id)
        call_sid = await self._placed.find(reply_id)
        if call_sid is None:
            base = (self._settings.public_base_url or "").rstrip("/")
            prefix = f"{base}/v1/twilio/{event.tenant_id}/voice"
            placed = await self._calls.place(
                account,
                to=data.recipient.value,
                answer_url=f"{prefix}/outbound-answer?agent={data.agent_id}",
                status_url=f"{prefix}/status",
            )
            call_sid = placed.call_sid
            # Before announcing: a request delivered again announces this call again.
            await self._placed.record(reply_id, call_sid)
        started = CallEvent(
            provider="twilio",
            call_id=call_sid,
            status=CallStatus.STARTED,
            at=datetime.now(UTC),
            caller=data.recipient.value,
            direction=Direction.OUTBOUND,
            agent_id=data.agent_id,
            provider_ids={"reply_id": reply_id},
        )
        await self._producer.publish(
            INTERACTIONS.name,
            call_interaction(
                event.tenant_id, started, default_region=self._settings.default_region
            ),
        )
