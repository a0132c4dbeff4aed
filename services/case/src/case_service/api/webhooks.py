"""Webhook subscriptions: create, list, rotate the secret, remove; deliveries and redrive."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from case_service.domain.webhooks import UnsafeUrl, check_url, new_secret
from case_service.ports import WebhookStore
from cc_common.auth import Principal
from cc_common.events import utc_now

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


class WebhookRead(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None = None
    active: bool = True
    created_at: datetime
    previous_valid_until: datetime | None = Field(
        default=None, description="Until then the previous secret signs too (rotation)."
    )


class WebhookSecret(WebhookRead):
    secret: str = Field(description="Shown once: sign-check deliveries with it.")


class DeliveryRead(BaseModel):
    id: str
    event_id: str
    event_type: str
    status: str = Field(description="pending, sending, delivered or failed.")
    created_at: datetime
    next_attempt_at: datetime | None = None
    attempts: list[dict[str, Any]]


def _read(doc: dict[str, Any], model: type[BaseModel] = WebhookRead) -> Any:
    return model(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def build_router(admins: Any, *, allow_insecure: bool, rotation_overlap: timedelta) -> APIRouter:
    router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
    Admin = Annotated[Principal, Depends(admins)]

    def repo(request: Request) -> WebhookStore:
        found: WebhookStore = request.app.state.webhooks
        return found

    Repo = Annotated[WebhookStore, Depends(repo)]

    @router.post("", status_code=201)
    async def subscribe(body: WebhookCreate, principal: Admin, webhooks: Repo) -> WebhookSecret:
        """Subscribe an endpoint; the answer holds its signing secret, shown only now."""
        try:
            check_url(body.url, allow_insecure=allow_insecure)
        except UnsafeUrl as exc:
            raise HTTPException(422, str(exc)) from exc
        doc = {
            "_id": str(uuid.uuid4()),
            "tenant_id": principal.tenant_id,
            **body.model_dump(),
            "active": True,
            "secret": new_secret(),
            "created_at": utc_now(),
            "created_by": principal.subject,
        }
        await webhooks.subscribe(doc)
        created: WebhookSecret = _read(doc, WebhookSecret)
        return created

    @router.get("")
    async def list_webhooks(principal: Admin, webhooks: Repo) -> list[WebhookRead]:
        return [_read(d) for d in await webhooks.subscriptions(principal.tenant_id)]

    @router.post("/{webhook_id}/rotate-secret")
    async def rotate(webhook_id: str, principal: Admin, webhooks: Repo) -> WebhookSecret:
        """A new secret; the old one keeps signing beside it for the overlap (24 h)."""
        current = await webhooks.subscription(principal.tenant_id, webhook_id)
        if current is None:
            raise HTTPException(404, "No such webhook.")
        updated = await webhooks.update_subscription(
            principal.tenant_id,
            webhook_id,
            {
                "secret": new_secret(),
                "previous_secret": current["secret"],
                "previous_valid_until": utc_now() + rotation_overlap,
            },
        )
        if updated is None:
            raise HTTPException(404, "No such webhook.")
        rotated: WebhookSecret = _read(updated, WebhookSecret)
        return rotated

    @router.delete("/{webhook_id}", status_code=204)
    async def unsubscribe(webhook_id: str, principal: Admin, webhooks: Repo) -> None:
        if not await webhooks.unsubscribe(principal.tenant_id, webhook_id):
            raise HTTPException(404, "No such webhook.")

    @router.get("/{webhook_id}/deliveries")
    async def deliveries(
        webhook_id: str,
        principal: Admin,
        webhooks: Repo,
        status: Annotated[str | None, Query(pattern="^(pending|sending|delivered|failed)$")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[DeliveryRead]:
        """Deliveries newest first, each with every attempt (status code, error, duration)."""
        if await webhooks.subscription(principal.tenant_id, webhook_id) is None:
            raise HTTPException(404, "No such webhook.")
        docs = await webhooks.deliveries(principal.tenant_id, webhook_id, status, limit)
        return [
            DeliveryRead(id=d["_id"], **{k: v for k, v in d.items() if k != "_id"}) for d in docs
        ]

    @router.post("/deliveries/{delivery_id}/redrive", status_code=202)
    async def redrive(delivery_id: str, principal: Admin, webhooks: Repo) -> dict[str, str]:
        """Send a failed delivery again now, with a fresh day of retries."""
        if not await webhooks.redrive(principal.tenant_id, delivery_id, utc_now()):
            raise HTTPException(404, "No failed or pending delivery with that id.")
        return {"status": "pending"}

    return router
