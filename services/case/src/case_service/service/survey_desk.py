"""Satisfaction surveys: asked on the case's channel once it is solved, and the
customer's answer read from their reply (rated on the case, counted in the CSAT KPI).
Driven by the case's own ``case.changed`` events (``consumers/surveys.py``), off the
path that stores contacts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from case_service.domain.errors import CaseServiceError
from case_service.domain.lifecycle import CaseStatus
from case_service.domain.model import Case
from case_service.domain.surveys import SurveyRule, answers_survey, question
from case_service.service.case_desk import CaseDesk
from cc_common.channels import needs_template
from cc_common.events import Channel, Content, MessageTemplate, utc_now
from cc_common.logging import get_logger
from cc_common.principals import Principal, Role

SURVEYOR = "survey"
"""The actor surveys are sent and recorded as."""
log = get_logger(__name__)


class SurveyDesk:
    def __init__(
        self,
        *,
        desk: CaseDesk,
        customer: Callable[[str, str], Any],
        rule_for: Callable[[str], SurveyRule | None],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._desk = desk
        self._customer = customer
        self._rule_for = rule_for
        self._clock = clock

    async def solved(self, tenant_id: str, case_id: str) -> None:
        """Ask once, on the case's channel, unless the tenant asks nothing or the
        customer opted out of surveys."""
        rule = self._rule_for(tenant_id)
        if rule is None:
            return
        case = await self._desk.case(tenant_id, case_id)
        if case.status is not CaseStatus.SOLVED or case.survey:
            return
        customer = await self._customer(tenant_id, case.customer_id)
        if customer is not None and customer.consent.get("surveys") is False:
            return
        surveyor = _surveyor(tenant_id)
        text = question(rule, customer.language if customer else None)
        try:
            outcome = await self._desk.reply(
                surveyor,
                case_id,
                Content(text=text),
                template=_template(rule, case, self._clock()),
                idempotency_key=f"survey:{case_id}",
                counts_as_response=False,
            )
        except CaseServiceError as exc:  # no address, the window shut, a colleague drafting
            log.info("survey.not_sent", case_id=case_id, reason=str(exc))
            return
        survey = {
            "kind": rule.kind,
            "sent_at": self._clock(),
            "reply_id": outcome.entry["_id"],
            "answered_at": None,
            "score": None,
        }
        await self._desk.note_survey(surveyor, case_id, survey)

    async def replied(self, tenant_id: str, case_id: str, text: str) -> None:
        """The customer wrote on the case: if it is a score for its open survey, keep
        it (CSAT also rates the case)."""
        case = await self._desk.case(tenant_id, case_id)
        now = self._clock()
        score = answers_survey(case, text, now)
        if score is None or case.survey is None:
            return
        surveyor = _surveyor(tenant_id)
        await self._desk.note_survey(
            surveyor, case_id, {**case.survey, "answered_at": now, "score": score}
        )
        if case.survey.get("kind", "csat") == "csat":
            await self._desk.rate(surveyor, case_id, {"score": score, "source": "survey"})


def _surveyor(tenant_id: str) -> Principal:
    return Principal(subject=SURVEYOR, tenant_id=tenant_id, roles=frozenset({Role.AGENT}))


def _template(rule: SurveyRule, case: Case, now: datetime) -> MessageTemplate | None:
    """The tenant's survey template, where the channel allows only templates now
    (WhatsApp outside its 24-hour window); without one the reply is refused there."""
    channel = Channel(case.channel)
    if not rule.whatsapp_template or not needs_template(channel, case.last_inbound_at, now):
        return None
    return MessageTemplate(name=rule.whatsapp_template, language=rule.whatsapp_template_language)
