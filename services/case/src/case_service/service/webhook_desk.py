"""What an integrator does to webhook subscriptions: subscribe, rotate the secret,
remove, read deliveries, send one again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from case_service.domain.errors import NotFound
from case_service.domain.webhook_targets import check_url
from case_service.domain.webhooks import new_secret
from case_service.ports import WebhookStore
from cc_common.events import utc_now
from cc_common.principals import Principal

Subscription = dict[str, Any]


class WebhookDesk:
    def __init__(
        self,
        store: WebhookStore,
        *,
        allow_insecure: bool,
        rotation_overlap: timedelta,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._allow_insecure = allow_insecure
        self._rotation_overlap = rotation_overlap
        self._clock = clock

    async def subscribe(
        self,
        admin: Principal,
        *,
        url: str,
        events: list[str],
        description: str | None,
        batch_max: int = 1,
    ) -> Subscription:
        """A new subscription with its signing secret (the caller shows it once)."""
        check_url(url, allow_insecure=self._allow_insecure)
        subscription = {
            "_id": str(uuid.uuid4()),
            "tenant_id": admin.tenant_id,
            "url": url,
            "events": events,
            "description": description,
            "batch_max": batch_max,
            "active": True,
            "secret": new_secret(),
            "created_at": self._clock(),
            "created_by": admin.subject,
        }
        await self._store.subscribe(subscription)
        return subscription

    async def subscriptions(self, tenant_id: str) -> list[Subscription]:
        return await self._store.subscriptions(tenant_id)

    async def subscription(self, tenant_id: str, webhook_id: str) -> Subscription:
        found = await self._store.subscription(tenant_id, webhook_id)
        if found is None:
            raise NotFound("No such webhook.")
        return found

    async def rotate_secret(self, admin: Principal, webhook_id: str) -> Subscription:
        """A new secret; the old one keeps signing beside it for the overlap."""
        current = await self.subscription(admin.tenant_id, webhook_id)
        updated = await self._store.update_subscription(
            admin.tenant_id,
            webhook_id,
            {
                "secret": new_secret(),
                "previous_secret": current["secret"],
                "previous_valid_until": self._clock() + self._rotation_overlap,
            },
        )
        if updated is None:
            raise NotFound("No such webhook.")
        return updated

    async def unsubscribe(self, admin: Principal, webhook_id: str) -> None:
        if not await self._store.unsubscribe(admin.tenant_id, webhook_id):
            raise NotFound("No such webhook.")

    async def deliveries(
        self, tenant_id: str, webhook_id: str, status: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Deliveries newest first, each with every attempt."""
        await self.subscription(tenant_id, webhook_id)
        return await self._store.deliveries(tenant_id, webhook_id, status, limit)

    async def redrive(self, admin: Principal, delivery_id: str) -> None:
        """Send a failed delivery again now, with a fresh day of retries."""
        if not await self._store.redrive(admin.tenant_id, delivery_id, self._clock()):
            raise NotFound("No failed or pending delivery with that id.")
