"""Agent presence and task actions: the case API publishes them for the router."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from cc_common.auth import Principal
from cc_common.events import (
    AGENT_PRESENCE_CHANGED,
    AGENT_TASK_ACTED,
    AgentPresenceChanged,
    AgentTaskActed,
    Envelope,
    Presence,
    TaskAction,
    utc_now,
)
from cc_common.events.envelope import EVENT_ID_NAMESPACE
from cc_common.kafka.producer import EventProducer
from cc_common.topics import AGENTS


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


class Accepted(BaseModel):
    event_id: uuid.UUID


def build_router(authenticate: Any) -> APIRouter:
    """Routes through which agents drive routing; the agent is the token's subject."""
    router = APIRouter(prefix="/v1", tags=["agents"])
    AgentDep = Annotated[Principal, Depends(authenticate)]
    IdempotencyKey = Annotated[str | None, Header(max_length=128)]

    async def publish(
        request: Request, principal: Principal, kind: str, data: Any, key: str | None
    ) -> Accepted:
        event_id = (
            uuid.uuid5(EVENT_ID_NAMESPACE, f"{principal.tenant_id}|{principal.subject}|{key}")
            if key
            else uuid.uuid4()
        )
        event = Envelope[Any](
            id=event_id,
            type=kind,
            tenant_id=principal.tenant_id,
            occurred_at=utc_now(),
            source="case-api",
            correlation_id=f"agent:{principal.subject}",
            data=data,
        )
        producer: EventProducer = request.app.state.runtime.producer
        await producer.publish(AGENTS.name, event)
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

    return router
