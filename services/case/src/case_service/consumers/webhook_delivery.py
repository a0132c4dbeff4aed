"""Webhooks: the fan-out consumer stores deliveries; the sender attempts them."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from pymongo.errors import PyMongoError

from case_service.domain.webhooks import (
    FIRST_RETRY,
    RETRY_FOR,
    UnsafeUrl,
    check_address,
    next_attempt,
    signature_header,
    wanted,
)
from case_service.ports import WebhookStore
from cc_common.events import utc_now
from cc_common.kafka.consumer import Delivery
from cc_common.logging import get_logger
from cc_common.supervision import Doorbell

log = get_logger(__name__)
LONGEST_REST_SECONDS = 5.0
"""The longest an idle sender waits before looking again: deliveries stored by another
process (or a lease that lapsed) are found within it; this process's own ring the
repository's doorbell and start at once."""
SHORTEST_REST_SECONDS = 0.05
SUBSCRIPTIONS_CACHE_SECONDS = 5.0
EXCERPT_CHARS = 200


class WebhookFanout:
    """Consumer handler: one stored delivery per subscription that wants the event."""

    def __init__(self, repository: WebhookStore) -> None:
        self._repository = repository
        self._cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        for subscription in await self._subscriptions(event.tenant_id):
            if subscription.get("active", True) and wanted(subscription["events"], event.type):
                await self._repository.enqueue(
                    subscription, event.model_dump(mode="json"), utc_now()
                )

    async def _subscriptions(self, tenant_id: str) -> list[dict[str, Any]]:
        cached = self._cache.get(tenant_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        found = await self._repository.subscriptions(tenant_id)
        self._cache[tenant_id] = (time.monotonic() + SUBSCRIPTIONS_CACHE_SECONDS, found)
        return found


class WebhookSender:
    """Leases due deliveries and POSTs them, signed, with up to ``concurrency`` in flight.

    With nothing due it rests until the next retry falls due, the doorbell rings or
    ``LONGEST_REST_SECONDS`` pass, instead of asking the database twice a second.
    """

    def __init__(
        self,
        repository: WebhookStore,
        doorbell: Doorbell,
        *,
        concurrency: int,
        timeout_seconds: float,
        allow_private_targets: bool,
        first_retry: timedelta = FIRST_RETRY,
        retry_for: timedelta = RETRY_FOR,
    ) -> None:
        self._repository = repository
        self._doorbell = doorbell
        self._first_retry = first_retry
        self._retry_for = retry_for
        self._slots = asyncio.Semaphore(concurrency)
        self._allow_private = allow_private_targets
        self._client = httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False)
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                await self._slots.acquire()
                try:
                    claimed = await self._repository.claim(utc_now())
                except PyMongoError:
                    claimed = None
                if claimed is None:
                    self._slots.release()
                    await self._rest()
                    continue
                task = asyncio.create_task(self._attempt(claimed))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
        finally:
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            await self._client.aclose()

    def stop(self) -> None:
        self._stopping.set()
        self._doorbell.ring()

    async def _rest(self) -> None:
        try:
            due = await self._repository.next_due()
        except PyMongoError:
            due = None
        seconds = LONGEST_REST_SECONDS
        if due is not None:
            until_due = (due - utc_now()).total_seconds()
            seconds = min(max(until_due, SHORTEST_REST_SECONDS), LONGEST_REST_SECONDS)
        await self._doorbell.wait(seconds)

    async def _attempt(self, delivery: dict[str, Any]) -> None:
        try:
            await self._send(delivery)
        except PyMongoError:
            log.warning("webhook.settle_failed", delivery_id=delivery["_id"])  # lease expires
        finally:
            self._slots.release()

    async def _send(self, delivery: dict[str, Any]) -> None:
        subscription = await self._repository.subscription(
            delivery["tenant_id"], delivery["subscription_id"]
        )
        started = utc_now()
        if subscription is None:
            await self._finish(delivery, started, error="subscription removed", final=True)
            return
        try:
            if not self._allow_private:
                await _check_resolved(subscription["url"])
        except UnsafeUrl as exc:
            await self._finish(delivery, started, error=str(exc), final=True)
            return
        except OSError as exc:  # the name does not resolve now: try again later
            await self._finish(delivery, started, error=f"resolution failed: {exc}")
            return
        body = json.dumps(delivery["event"], separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "contactcenter-webhooks/1",
            "X-CC-Event-Id": delivery["event_id"],
            "X-CC-Event-Type": delivery["event_type"],
            "X-CC-Delivery-Id": delivery["_id"],
            "X-CC-Timestamp": str(timestamp),
            "X-CC-Signature": signature_header(
                _valid_secrets(subscription, started), timestamp, body
            ),
        }
        try:
            response = await self._client.post(subscription["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            await self._finish(delivery, started, error=type(exc).__name__)
            return
        if 200 <= response.status_code < 300:
            await self._finish(delivery, started, status_code=response.status_code, done=True)
        else:
            await self._finish(
                delivery,
                started,
                status_code=response.status_code,
                error=response.text[:EXCERPT_CHARS] or None,
            )

    async def _finish(
        self,
        delivery: dict[str, Any],
        started: datetime,
        *,
        status_code: int | None = None,
        error: str | None = None,
        done: bool = False,
        final: bool = False,
    ) -> None:
        now = utc_now()
        attempt = {
            "at": started,
            "status_code": status_code,
            "error": error,
            "duration_ms": round((now - started).total_seconds() * 1000, 1),
        }
        if done:
            status, retry_at = "delivered", None
        else:
            tried = len(delivery.get("attempts", [])) + 1
            retry_at = (
                None
                if final
                else next_attempt(
                    delivery["retrying_since"],
                    tried,
                    now,
                    first=self._first_retry,
                    retry_for=self._retry_for,
                )
            )
            status = "pending" if retry_at else "failed"
        await self._repository.settle(
            delivery["_id"], attempt=attempt, status=status, next_attempt_at=retry_at
        )
        log.info(
            "webhook.attempt",
            delivery_id=delivery["_id"],
            status=status,
            status_code=status_code,
        )


def _valid_secrets(subscription: dict[str, Any], now: datetime) -> list[str]:
    """The current secret, and the previous one while its overlap lasts."""
    valid = [subscription["secret"]]
    previous = subscription.get("previous_secret")
    until = subscription.get("previous_valid_until")
    if previous and until and until > now:
        valid.append(previous)
    return valid


async def _check_resolved(url: str) -> None:
    """Every address the host resolves to must be public (server-side request forgery)."""
    host = urlsplit(url).hostname or ""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    for info in infos:
        check_address(str(info[4][0]))
