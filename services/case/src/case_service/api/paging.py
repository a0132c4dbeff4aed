"""One page of a timeline (a customer's or a case's), with the cursor to the next."""

from __future__ import annotations

from case_service.api.schemas import TimelineEntryRead, TimelinePage
from case_service.domain.timeline import decode_cursor, encode_cursor
from case_service.ports import TimelineReads


async def timeline_page(
    timeline: TimelineReads,
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
    after = decode_cursor(cursor) if cursor else None
    entries = await timeline.page(
        tenant_id=tenant_id,
        customer_id=customer_id,
        case_id=case_id,
        limit=limit,
        after=after.position if after else None,
        window_ms=after.window_ms if after else None,
        channel=channel,
        kind=kind,
    )
    items = [TimelineEntryRead.model_validate(e.model_dump()) for e in entries]
    last = entries[-1] if len(entries) == limit else None
    next_cursor = None
    if last is not None:
        # The time this page covered: where the next page's first look reaches back to.
        covered = entries[0].occurred_at - last.occurred_at
        window_ms = max(1, int(covered.total_seconds() * 1000))
        next_cursor = encode_cursor((last.occurred_at, last.order, last.id), window_ms)
    return TimelinePage(items=items, next_cursor=next_cursor)
