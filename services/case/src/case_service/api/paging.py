"""One page of a timeline (a customer's or a case's), with the cursor to the next."""

from __future__ import annotations

from fastapi import HTTPException

from case_service.adapters.timeline import TimelineRepository
from case_service.api.schemas import TimelineEntryRead, TimelinePage
from case_service.domain.timeline import InvalidCursor, decode_cursor, encode_cursor


async def timeline_page(
    timeline: TimelineRepository,
    *,
    tenant_id: str,
    limit: int,
    cursor: str | None,
    customer_id: str | None = None,
    case_id: str | None = None,
    channel: str | None = None,
    kind: str | None = None,
) -> TimelinePage:
    """Entries newest first; ``kind`` matches exactly or by prefix (``case.``, ``task.``)."""
    try:
        after = decode_cursor(cursor) if cursor else None
    except InvalidCursor as exc:
        raise HTTPException(400, str(exc)) from exc
    docs = await timeline.page(
        tenant_id=tenant_id,
        customer_id=customer_id,
        case_id=case_id,
        limit=limit,
        after=after,
        channel=channel,
        kind=kind,
    )
    items = [TimelineEntryRead(id=d["_id"], **d) for d in docs]
    last = docs[-1] if len(docs) == limit else None
    next_cursor = (
        encode_cursor((last["occurred_at"], last.get("order", 0), last["_id"])) if last else None
    )
    return TimelinePage(items=items, next_cursor=next_cursor)
