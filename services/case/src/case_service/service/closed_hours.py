"""Outside business hours (the tenant's SLA calendar: its hours, its own closed days
and, if asked, its country's public holidays), a customer who writes is told when we
open: once per conversation per closed period, on their channel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from case_service.domain.errors import CaseServiceError
from case_service.domain.sla import BusinessCalendar
from case_service.service.case_desk import CaseDesk
from cc_common.events import Content, utc_now
from cc_common.logging import get_logger
from cc_common.principals import Principal, Role

AUTO_REPLY = "auto-reply"
"""The actor closed-hours replies are sent as (they are not a first response)."""
log = get_logger(__name__)


class ClosedHoursReplies:
    def __init__(
        self,
        *,
        desk: CaseDesk,
        customer: Callable[[str, str], Any],
        calendar_for: Callable[[str], BusinessCalendar | None],
        texts_for: Callable[[str], Mapping[str, str]],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._desk = desk
        self._customer = customer
        self._calendar_for = calendar_for
        self._texts_for = texts_for
        self._clock = clock

    async def customer_wrote(self, tenant_id: str, case_id: str) -> None:
        texts = self._texts_for(tenant_id)
        calendar = self._calendar_for(tenant_id)
        if not texts or calendar is None:
            return
        opening = calendar.next_opening(self._clock())
        if opening is None:
            return  # open: an agent answers
        case = await self._desk.case(tenant_id, case_id)
        customer = await self._customer(tenant_id, case.customer_id)
        language = "en" if customer and (customer.language or "").startswith("en") else "ja"
        text = texts.get(language) or next(iter(texts.values()))
        local = opening.astimezone(ZoneInfo(calendar.timezone)).strftime("%Y-%m-%d %H:%M")
        responder = Principal(
            subject=AUTO_REPLY, tenant_id=tenant_id, roles=frozenset({Role.AGENT})
        )
        try:
            await self._desk.reply(
                responder,
                case_id,
                Content(text=text.replace("{opens}", local)),
                # One per conversation per closed period: the same key, the same reply.
                idempotency_key=f"closed:{case.conversation_key}:{opening.isoformat()}",
                counts_as_response=False,
            )
        except CaseServiceError as exc:
            log.info("closed_reply.not_sent", case_id=case_id, reason=str(exc))
