"""Publishing normalised call events (shared by every provider's routes)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import HTTPException, Request
from pydantic import ValidationError

from cc_common.kafka.producer import EventProducer
from cc_common.topics import INTERACTIONS
from ingest_voice.domain.calls import CallEvent, InvalidCallerNumber, call_interaction


async def publish_calls(request: Request, tenant_id: str, events: Iterable[CallEvent]) -> list[str]:
    """Publish the events (durably) and return their ids; 422 for events that name no
    possible number or that the event contract refuses (the sender's error, not ours)."""
    region: str = request.app.state.settings.default_region
    try:
        envelopes = [call_interaction(tenant_id, e, default_region=region) for e in events]
    except InvalidCallerNumber as exc:
        raise HTTPException(422, str(exc)) from exc
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in error["loc"])
        raise HTTPException(422, f"The event cannot be recorded: {where}: {error['msg']}") from exc
    producer: EventProducer = request.app.state.runtime.producer
    if envelopes:
        await producer.publish_many(INTERACTIONS.name, envelopes)
    return [str(e.id) for e in envelopes]
