"""Publishing normalised call events (shared by every provider's routes)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request

from cc_common.kafka.producer import EventProducer
from cc_common.topics import INTERACTIONS
from ingest_voice.domain.calls import CallEvent, call_interaction


async def publish_calls(request: Request, tenant_id: str, events: Iterable[CallEvent]) -> list[str]:
    """Publish the events (durably) and return their ids."""
    region: str = request.app.state.settings.default_region
    envelopes = [call_interaction(tenant_id, e, default_region=region) for e in events]
    producer: EventProducer = request.app.state.runtime.producer
    if envelopes:
        await producer.publish_many(INTERACTIONS.name, envelopes)
    return [str(e.id) for e in envelopes]
