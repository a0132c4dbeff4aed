"""Dependencies of the case API routes: the use cases, and the read models of queries."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from case_service.ports import TimelineReads
from case_service.service.case_desk import CaseDesk
from case_service.service.customer_desk import CustomerDesk


def _desk(request: Request) -> CaseDesk:
    desk: CaseDesk = request.app.state.desk
    return desk


def _customer_desk(request: Request) -> CustomerDesk:
    desk: CustomerDesk = request.app.state.customer_desk
    return desk


def _timeline(request: Request) -> TimelineReads:
    reads: TimelineReads = request.app.state.timeline
    return reads


DeskDep = Annotated[CaseDesk, Depends(_desk)]
CustomerDeskDep = Annotated[CustomerDesk, Depends(_customer_desk)]
TimelineReadsDep = Annotated[TimelineReads, Depends(_timeline)]
