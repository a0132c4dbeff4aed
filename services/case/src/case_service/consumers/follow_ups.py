"""What follows a case's own announcements, off the path that stores contacts: a case
solved is surveyed; a customer's message may answer the survey, or arrive while we
are closed and be told when we open (service/survey_desk.py, service/closed_hours.py)."""

from __future__ import annotations

from case_service.domain.errors import NotFound
from case_service.service.closed_hours import ClosedHoursReplies
from case_service.service.survey_desk import SURVEYOR, SurveyDesk
from cc_common.events import CaseChanged
from cc_common.kafka.consumer import Delivery


class FollowUpConsumer:
    def __init__(self, surveys: SurveyDesk, closed: ClosedHoursReplies) -> None:
        self._surveys = surveys
        self._closed = closed

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        data = event.data
        if not isinstance(data, CaseChanged):
            return
        try:
            if data.status == "solved" and data.change.startswith("case."):
                if data.actor != SURVEYOR:
                    await self._surveys.solved(event.tenant_id, data.case_id)
            elif data.change == "message" and data.actor is None:
                if data.summary:
                    await self._surveys.replied(event.tenant_id, data.case_id, data.summary)
                if data.status != "solved":  # a survey's answer needs no closed notice
                    await self._closed.customer_wrote(event.tenant_id, data.case_id)
        except NotFound:
            return  # merged or split away since: nothing to ask or answer
