"""Surveys follow the case's own announcements: a case solved is asked, a customer's
message on a surveyed case may be its answer (service/survey_desk.py)."""

from __future__ import annotations

from case_service.domain.errors import NotFound
from case_service.service.survey_desk import SURVEYOR, SurveyDesk
from cc_common.events import CaseChanged
from cc_common.kafka.consumer import Delivery


class SurveyConsumer:
    def __init__(self, surveys: SurveyDesk) -> None:
        self._surveys = surveys

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        data = event.data
        if not isinstance(data, CaseChanged):
            return
        try:
            if (
                data.status == "solved"
                and data.change.startswith("case.")
                and data.actor != SURVEYOR
            ):
                await self._surveys.solved(event.tenant_id, data.case_id)
            elif data.change == "message" and data.actor is None and data.summary:
                await self._surveys.replied(event.tenant_id, data.case_id, data.summary)
        except NotFound:
            return  # merged or split away since: nothing to ask or answer
