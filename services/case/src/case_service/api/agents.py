"""Agent presence and task actions: the case API publishes them for the router."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from case_service.api.deps import CustomerDeskDep, TimelineReadsDep
from case_service.api.router_proxy import ask_router
from cc_common.auth import Principal
from cc_common.events import (
    AGENT_PRESENCE_CHANGED,
    AGENT_TASK_ACTED,
    OUTBOUND_REQUESTED,
    AgentPresenceChanged,
    AgentTaskActed,
    Channel,
    Content,
    Identity,
    IdentityKind,
    OutboundRequested,
    Presence,
    TaskAction,
)
from cc_common.events.commands import command_event
from cc_common.kafka.producer import EventProducer
from cc_common.topics import AGENTS, OUTBOUND


class PresenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    presence: Presence
    reason: str | None = Field(default=None, max_length=100)


class TaskActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: TaskAction
    target_queue: str | None = Field(default=None, max_length=63)
    target_agent_id: str | None = Field(default=None, max_length=128)
    note: str | None = Field(default=None, max_length=2000)


class CallbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(
        default=None, max_length=20, description="One of the customer's numbers (E.164)."
    )


class Accepted(BaseModel):
    event_id: uuid.UUID


def build_router(authenticate: Any) -> APIRouter:
    """Routes through which agents drive routing; the agent is the token's subject."""
    router = APIRouter(prefix="/v1", tags=["agents"])
    AgentDep = Annotated[Principal, Depends(authenticate)]
    IdempotencyKey = Annotated[str | None, Header(max_length=128)]

    async def publish(
        request: Request,
        principal: Principal,
        kind: str,
        data: Any,
        key: str | None,
        topic: str = AGENTS.name,
    ) -> Accepted:
        event = command_event(
            principal, type=kind, data=data, source="case-api", idempotency_key=key
        )
        producer: EventProducer = request.app.state.runtime.producer
        await producer.publish(topic, event)
        return Accepted(event_id=event.id)

    @router.put("/agents/me/presence", status_code=202)
    async def set_presence(
        body: PresenceUpdate,
        request: Request,
        principal: AgentDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """Become available, take a break, go offline (with a reason code)."""
        data = AgentPresenceChanged(
            agent_id=principal.subject, presence=body.presence, reason=body.reason
        )
        return await publish(request, principal, AGENT_PRESENCE_CHANGED, data, idempotency_key)

    @router.get("/agents/me/tasks")
    async def my_tasks(
        request: Request, principal: AgentDep, timeline: TimelineReadsDep
    ) -> dict[str, Any]:
        """Your presence, capacity and tasks in hand: offers with the time left to accept
        them (an offer not accepted in time goes to someone else and puts you on break),
        and accepted work, each with its customer and case once stored. Accept with
        ``POST /v1/tasks/{task_id}/actions``."""
        work: dict[str, Any] = await ask_router(
            request, f"/v1/agents/{quote(principal.subject, safe='')}/tasks"
        )
        tasks: list[dict[str, Any]] = work.get("tasks", [])
        where = await timeline.cases_of_interactions(
            principal.tenant_id, [t["interaction_id"] for t in tasks]
        )
        for task in tasks:
            customer_id, case_id = where.get(task["interaction_id"], (None, None))
            task["customer_id"], task["case_id"] = customer_id, case_id
        return work

    @router.post("/tasks/{task_id}/actions", status_code=202)
    async def act_on_task(
        task_id: uuid.UUID,
        body: TaskActionCreate,
        request: Request,
        principal: AgentDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """Accept, reject, wrap up, complete, escalate or transfer a task."""
        data = AgentTaskActed(
            agent_id=principal.subject,
            task_id=task_id,
            action=body.action,
            target_queue=body.target_queue,
            target_agent_id=body.target_agent_id,
            note=body.note,
        )
        return await publish(request, principal, AGENT_TASK_ACTED, data, idempotency_key)

    @router.post("/customers/{customer_id}/callbacks", status_code=202)
    async def call_back(
        customer_id: str,
        body: CallbackCreate,
        request: Request,
        principal: AgentDep,
        customers: CustomerDeskDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """Call the customer now from the agent's phone (the voice service dials)."""
        phone = await customers.number_to_call(principal.tenant_id, customer_id, body.phone)
        data = OutboundRequested(
            reply_id=uuid.uuid4(),
            channel=Channel.VOICE,
            conversation_key=f"callback:{customer_id}",
            agent_id=principal.subject,
            recipient=Identity(kind=IdentityKind.PHONE, value=phone, verified=True),
            content=Content(),
        )
        return await publish(
            request, principal, OUTBOUND_REQUESTED, data, idempotency_key, topic=OUTBOUND.name
        )

    return router
