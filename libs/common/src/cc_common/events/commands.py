"""Events that record what a caller of an API asked for (presence, actions, config)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel

from cc_common.auth import Principal
from cc_common.events.envelope import EVENT_ID_NAMESPACE, Envelope, utc_now


def command_event(
    principal: Principal,
    *,
    type: str,
    data: BaseModel,
    source: str,
    idempotency_key: str | None = None,
) -> Envelope[Any]:
    """An event for the caller's tenant; a repeated idempotency key gives the same id."""
    event_id = (
        uuid.uuid5(
            EVENT_ID_NAMESPACE, f"{principal.tenant_id}|{principal.subject}|{idempotency_key}"
        )
        if idempotency_key
        else uuid.uuid4()
    )
    return Envelope[Any](
        id=event_id,
        type=type,
        tenant_id=principal.tenant_id,
        occurred_at=utc_now(),
        source=source,
        correlation_id=f"{source}:{principal.subject}",
        data=data,
    )
