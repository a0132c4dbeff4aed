"""The SLA watcher: finds cases past a due time, records the breach once, announces it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from case_service.domain.model import Case
from case_service.domain.sla import breaches, next_check
from case_service.domain.timeline import case_change_id, case_entry
from cc_common.events import CASE_SLA_BREACHED, CaseSlaBreached, Envelope, Publish, utc_now
from cc_common.events.envelope import EVENT_ID_NAMESPACE
from cc_common.logging import get_logger
from cc_common.supervision import Periodic
from cc_common.topics import CASES

log = get_logger(__name__)

AddEntry = Callable[[dict[str, Any]], Awaitable[None]]


class SlaWatchedCases(Protocol):
    async def due_for_sla_check(self, now: datetime, limit: int = 200) -> list[Case]: ...

    async def record_sla_check(
        self, case_id: str, *, breached: dict[str, datetime], next_check: datetime | None
    ) -> None: ...


class SlaWatcher(Periodic):
    name = "sla"

    def __init__(
        self,
        *,
        cases: SlaWatchedCases,
        add_entry: AddEntry,
        publish: Publish,
        interval_seconds: float,
    ) -> None:
        super().__init__(interval_seconds)
        self._cases = cases
        self._add_entry = add_entry
        self._publish = publish

    async def round(self) -> int:
        return await self.check(utc_now())

    async def check(self, now: datetime) -> int:
        """Record and announce every breach due by ``now``; returns how many."""
        found = 0
        for case in await self._cases.due_for_sla_check(now):
            missed = breaches(case, now)
            for target, due in missed:
                # Announce, then record: a crash in between announces again, same id.
                event = breach_event(case, target.value, due)
                await self._add_entry(
                    case_entry(
                        case,
                        entry_id=case_change_id(case.id, f"sla:{target.value}"),
                        kind="case.sla_breached",
                        at=due,
                        summary=f"{target.value.replace('_', ' ')} target missed",
                        details={"target": target.value, "due_at": due},
                    )
                )
                await self._publish(CASES.name, event)
                log.info("case.sla_breached", case_id=case.id, target=target.value)
            recorded = {t.value: due for t, due in missed}
            await self._cases.record_sla_check(
                case.id, breached=recorded, next_check=next_check(case, now)
            )
            found += len(missed)
        return found


def breach_event(case: Case, target: str, due: datetime) -> Envelope[CaseSlaBreached]:
    return Envelope[CaseSlaBreached](
        id=uuid.uuid5(EVENT_ID_NAMESPACE, f"sla|{case.id}|{target}"),
        type=CASE_SLA_BREACHED,
        tenant_id=case.tenant_id,
        occurred_at=due,
        source="case",
        correlation_id=case.conversation_key,
        data=CaseSlaBreached(
            case_id=case.id,
            customer_id=case.customer_id,
            target=target,
            due_at=due,
            priority=case.priority,
            channel=case.channel,
            queue=case.queue,
            assignee_id=case.assignee_id,
        ),
    )
