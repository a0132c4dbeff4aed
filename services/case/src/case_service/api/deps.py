"""Dependencies of the case API routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from case_service.adapters.cases import CaseRepository
from case_service.adapters.customers import CustomerRepository
from case_service.adapters.timeline import TimelineRepository


def _customers(request: Request) -> CustomerRepository:
    repo: CustomerRepository = request.app.state.customers
    return repo


def _cases(request: Request) -> CaseRepository:
    repo: CaseRepository = request.app.state.cases
    return repo


def _timeline(request: Request) -> TimelineRepository:
    repo: TimelineRepository = request.app.state.timeline
    return repo


CustomersDep = Annotated[CustomerRepository, Depends(_customers)]
CasesDep = Annotated[CaseRepository, Depends(_cases)]
TimelineDep = Annotated[TimelineRepository, Depends(_timeline)]
