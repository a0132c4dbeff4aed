"""Webhook subscriptions: create, list, rotate the secret, remove; deliveries and redrive."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from case_service.service.webhook_desk import WebhookDesk
from cc_common.auth import Principal

EventPattern = Annotated[str, Field(pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$", max_length=64)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="https; receives signed POSTs.")
    events: list[EventPattern] = Field(
        min_length=1,
        max_length=20,
        description="Event types or patterns: case.changed, case.sla_breached, task.*, *.",
    )
    description: str | None = Field(default=None, max_length=200)
    batch_max: int = Field(
        default=1,
        ge=1,
        le=100,
        description="Events per POST. 1: each event alone, its envelope the body (headers"
        " X-CC-Event-Id, X-CC-Event-Type). Above 1: up to that many due events in one"
        ' POST as {"events": [...]} (header X-CC-Event-Count), for endpoints that must'
        " keep up with a busy tenant; deduplicate by each event's id either way.",
    )


class WebhookRead(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None = None
    batch_max: int = 1
    active: bool = True
    created_at: datetime
    previous_valid_until: datetime | None = Field(
        default=None, description="Until then the previous secret signs too (rotation)."
    )


class WebhookSecret(WebhookRead):
    secret: str = Field(description="Shown once: sign-check deliveries with it.")


class DeliveryRead(BaseModel):
    """One POST: one event, or up to the subscription's ``batch_max`` of them."""

    id: str = Field(description="Sent as X-CC-Delivery-Id.")
    event_ids: list[str]
    event_id: str | None = Field(default=None, description="The event, when it is one.")
    event_type: str | None = Field(default=None, description="Its type, when it is one.")
    status: str = Field(description="pending, sending, delivered or failed.")
    created_at: datetime
    next_attempt_at: datetime | None = None
    attempts: list[dict[str, Any]]


def _read(doc: dict[str, Any], model: type[BaseModel] = WebhookRead) -> Any:
    return model(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def _delivery_read(doc: dict[str, Any]) -> DeliveryRead:
    fields = {k: v for k, v in doc.items() if k != "_id"}
    fields.setdefault("event_ids", [doc["event_id"]])  # stored by an earlier release
    return DeliveryRead(id=doc["_id"], **fields)


def _desk(request: Request) -> WebhookDesk:
    desk: WebhookDesk = request.app.state.webhook_desk
    return desk


WebhookDeskDep = Annotated[WebhookDesk, Depends(_desk)]


def build_router(admins: Any) -> APIRouter:
    router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
    Admin = Annotated[Principal, Depends(admins)]

    @router.post("", status_code=201)
    async def subscribe(
        body: WebhookCreate, principal: Admin, desk: WebhookDeskDep
    ) -> WebhookSecret:
        """Subscribe an endpoint; the answer holds its signing secret, shown only now."""
        created = await desk.subscribe(
            principal,
            url=body.url,
            events=body.events,
            description=body.description,
            batch_max=body.batch_max,
        )
        secret: WebhookSecret = _read(created, WebhookSecret)
        return secret

    @router.get("")
    async def list_webhooks(principal: Admin, desk: WebhookDeskDep) -> list[WebhookRead]:
        return [_read(d) for d in await desk.subscriptions(principal.tenant_id)]

    @router.post("/{webhook_id}/rotate-secret")
    async def rotate(webhook_id: str, principal: Admin, desk: WebhookDeskDep) -> WebhookSecret:
        """A new secret; the old one keeps signing beside it for the overlap (24 h)."""
        rotated: WebhookSecret = _read(
            await desk.rotate_secret(principal, webhook_id), WebhookSecret
        )
        return rotated

    @router.delete("/{webhook_id}", status_code=204)
    async def unsubscribe(webhook_id: str, principal: Admin, desk: WebhookDeskDep) -> None:
        await desk.unsubscribe(principal, webhook_id)

    @router.get("/{webhook_id}/deliveries")
    async def deliveries(
        webhook_id: str,
        principal: Admin,
        desk: WebhookDeskDep,
        status: Annotated[str | None, Query(pattern="^(pending|sending|delivered|failed)$")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[DeliveryRead]:
        """Deliveries newest first, each with every attempt (status code, error, duration)."""
        docs = await desk.deliveries(principal.tenant_id, webhook_id, status, limit)
        return [_delivery_read(doc) for doc in docs]

    @router.post("/deliveries/{delivery_id}/redrive", status_code=202)
    async def redrive(delivery_id: str, principal: Admin, desk: WebhookDeskDep) -> dict[str, str]:
        """Send a failed delivery again now, with a fresh day of retries."""
        await desk.redrive(principal, delivery_id)
        return {"status": "pending"}

    return router
