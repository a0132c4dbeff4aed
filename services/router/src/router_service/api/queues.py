"""Live queue statistics, and queue and agent configuration for supervisors."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from cc_common.auth import Principal, Role
from cc_common.events import (
    AGENT_CONFIGURED,
    QUEUE_CONFIGURED,
    ROUTING_POLICY_CONFIGURED,
    AgentConfigured,
    QueueConfigured,
    RoutingPolicyConfigured,
)
from cc_common.events.commands import command_event
from cc_common.kafka.producer import EventProducer
from cc_common.topics import AGENTS
from router_service.domain.requirements import InvalidRequirement, parse_requirement
from router_service.ports import RoutingState


class QueueStats(BaseModel):
    queue: str
    open: bool
    waiting: int
    longest_wait_seconds: float
    agents_available: int
    agents_busy: int = Field(
        default=0, description="Signed in but taking nothing more now (full, busy, after-call)."
    )
    agents_on_break: int = 0
    offered: int
    answered: int
    abandoned: int
    service_level_percent: float | None
    average_speed_of_answer_seconds: float | None


class Accepted(BaseModel):
    event_id: uuid.UUID


class AgentTask(BaseModel):
    task_id: str
    state: str = Field(description="offered (accept or reject it before it expires) or accepted.")
    channel: str
    queue: str
    interaction_id: str
    customer_ref: str | None
    priority: int
    waited_seconds: float = Field(description="Since the work arrived.")
    offer_expires_at: datetime | None
    offer_expires_in_seconds: float | None


class AgentOnBoard(BaseModel):
    agent_id: str
    display_name: str | None
    presence: str
    reason: str | None
    seconds_in_state: float | None = Field(description="None: not changed since a restart.")
    in_hand: dict[str, int]
    capacity: dict[str, int]
    offers: int


class AgentWork(BaseModel):
    agent_id: str
    display_name: str | None = None
    teams: list[str] = Field(default_factory=list, description="The agent's teams (macros).")
    presence: str
    reason: str | None
    capacity: dict[str, int]
    in_hand: dict[str, int]
    tasks: list[AgentTask]


def build_router(*, read: Any, manage: Any) -> APIRouter:
    """Routes of the router's API; every one is tenant-scoped by the token."""
    router = APIRouter(prefix="/v1", tags=["queues"])
    Reader = Annotated[Principal, Depends(read)]
    Manager = Annotated[Principal, Depends(manage)]

    async def announce(request: Request, principal: Principal, kind: str, data: Any) -> Accepted:
        event = command_event(principal, type=kind, data=data, source="router-api")
        producer: EventProducer = request.app.state.runtime.producer
        await producer.publish(AGENTS.name, event)
        return Accepted(event_id=event.id)

    @router.get("/queues")
    async def list_queues(request: Request, principal: Reader) -> list[QueueStats]:
        """Waiting work, longest wait, free agents and today's service level per queue."""
        worker: RoutingState = request.app.state.worker
        rows = await worker.queue_stats(principal.tenant_id)
        return [QueueStats(**row) for row in rows]

    @router.get("/agents/{agent_id}/tasks")
    async def agent_tasks(agent_id: str, request: Request, principal: Reader) -> AgentWork:
        """An agent's offers (with their expiry) and accepted work. Agents see their own;
        supervisors and admins anyone's."""
        if agent_id != principal.subject and not principal.has_any({Role.SUPERVISOR, Role.ADMIN}):
            raise HTTPException(403, "Agents see only their own tasks.")
        worker: RoutingState = request.app.state.worker
        work = await worker.agent_work(principal.tenant_id, agent_id)
        if work is None:
            raise HTTPException(
                404,
                f"No agent {agent_id!r} in this tenant: a supervisor configures agents "
                "with PUT /v1/agents/{agent_id} on the router.",
            )
        return AgentWork(**work)

    @router.get("/agents")
    async def agents_board(request: Request, principal: Reader) -> list[AgentOnBoard]:
        """Every agent of the tenant: presence (with its reason), time in it, offers
        and work in hand per channel. Supervisors and admins only."""
        if not principal.has_any({Role.SUPERVISOR, Role.ADMIN}):
            raise HTTPException(403, "Only supervisors and admins see every agent.")
        worker: RoutingState = request.app.state.worker
        return [AgentOnBoard(**row) for row in await worker.agents_board(principal.tenant_id)]

    @router.put("/queues/{name}", status_code=202)
    async def configure_queue(
        name: str, body: QueueConfigured, request: Request, principal: Manager
    ) -> Accepted:
        """Create or change a queue; the router applies it in order with the work."""
        if body.name != name:
            raise HTTPException(422, "The body's name must match the path.")
        try:
            parse_requirement(body.requires)
        except InvalidRequirement as exc:
            raise HTTPException(422, f"requires: {exc}") from exc
        return await announce(request, principal, QUEUE_CONFIGURED, body)

    @router.put("/policy", status_code=202)
    async def configure_policy(
        body: RoutingPolicyConfigured, request: Request, principal: Manager
    ) -> Accepted:
        """Change the tenant's routing policy (who gets work first, sticky windows)."""
        return await announce(request, principal, ROUTING_POLICY_CONFIGURED, body)

    @router.put("/agents/{agent_id}", status_code=202)
    async def configure_agent(
        agent_id: str, body: AgentConfigured, request: Request, principal: Manager
    ) -> Accepted:
        """Create or change an agent's skills, languages, tier and capacity."""
        if body.agent_id != agent_id:
            raise HTTPException(422, "The body's agent_id must match the path.")
        return await announce(request, principal, AGENT_CONFIGURED, body)

    return router
