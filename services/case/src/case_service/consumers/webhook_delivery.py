"""Webhooks: the fan-out consumer stores deliveries; the sender attempts them."""

from __future__ import annotations

import asyncio
import collections
import json
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pymongo.errors import PyMongoError

from case_service.domain.webhook_targets import (
    UnsafeUrl,
    check_address,
    check_url,
    literal_address,
)
from case_service.domain.webhooks import (
    FIRST_RETRY,
    LEASE,
    RETRY_FOR,
    Settlement,
    delivery_events,
    next_attempt,
    signature_header,
    wanted,
)
from case_service.metrics import WEBHOOK_BACKLOG, WEBHOOK_LEASED, WEBHOOK_OLDEST_DUE
from case_service.ports import WebhookStore
from cc_common.events import utc_now
from cc_common.kafka.consumer import Delivery
from cc_common.logging import get_logger
from cc_common.supervision import Doorbell, Periodic

log = get_logger(__name__)
LONGEST_REST_SECONDS = 5.0
"""The longest an idle sender waits before looking again: deliveries stored by another
process (or a lease that lapsed) are found within it; this process's own ring the
repository's doorbell and start at once."""
SHORTEST_REST_SECONDS = 0.05
SUBSCRIPTIONS_CACHE_SECONDS = 5.0
SETTLE_BATCH = 64
SETTLE_EVERY_SECONDS = 0.05
LEASED_PER_SLOT = 2
"""A sender leases twice its slots at a time: one query per batch, and a batch is sent
well within its lease even when every target is slow."""
LEASE_MARGIN = LEASE / 4
"""A leased delivery not started while this much of its lease is left is left to lapse
and be leased again (it could not be settled in time)."""


@dataclass(frozen=True, slots=True)
class _Leased:
    delivery: dict[str, Any]
    subscription: dict[str, Any] | None


EXCERPT_CHARS = 200


class WebhookFanout:
    """Consumer group handler: the deliveries of the batch's events to each subscription
    that wants them (one per event, or per ``batch_max`` events), one bulk write."""

    def __init__(self, repository: WebhookStore) -> None:
        self._repository = repository
        self._cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    async def __call__(self, deliveries: list[Delivery]) -> list[tuple[Delivery, Exception]]:
        owed: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        for delivery in deliveries:
            event = delivery.event
            body: dict[str, Any] | None = None
            for subscription in await self._subscriptions(event.tenant_id):
                if subscription.get("active", True) and wanted(subscription["events"], event.type):
                    body = body or event.model_dump(mode="json")
                    owed.setdefault(subscription["_id"], (subscription, []))[1].append(body)
        await self._repository.enqueue_many(owed.values(), utc_now())
        return []

    async def _subscriptions(self, tenant_id: str) -> list[dict[str, Any]]:
        cached = self._cache.get(tenant_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        found = await self._repository.subscriptions(tenant_id)
        self._cache[tenant_id] = (time.monotonic() + SUBSCRIPTIONS_CACHE_SECONDS, found)
        return found


class WebhookSender:
    """Leases due deliveries in batches and POSTs them, signed: up to ``concurrency`` in
    flight, at most ``per_target`` to one subscription (a slow endpoint does not hold
    every slot); a subscription with ``batch_max`` above 1 gets up to that many events
    per POST, so its rate is not bound by its round trip times ``per_target``.

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
        per_target: int = 4,
        first_retry: timedelta = FIRST_RETRY,
        retry_for: timedelta = RETRY_FOR,
    ) -> None:
        self._repository = repository
        self._doorbell = doorbell
        self._first_retry = first_retry
        self._retry_for = retry_for
        self._concurrency = concurrency
        self._per_target = per_target
        self._busy: collections.Counter[str] = collections.Counter()
        """Attempts in flight per subscription (entries leave at zero: it stays small)."""
        self._allow_private = allow_private_targets
        self._client = httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False)
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._settled: list[Settlement] = []
        self._settle_now = Doorbell()
        self._leased: collections.deque[_Leased] = collections.deque()

    async def run(self) -> None:
        settling = asyncio.create_task(self._settle_continuously())
        try:
            while not self._stopping.is_set():
                room = self._concurrency - len(self._in_flight)
                startable = self._startable(room)
                for leased in startable:
                    task = asyncio.create_task(self._attempt(leased))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
                if startable:
                    continue
                room_to_lease = len(self._leased) < self._concurrency * LEASED_PER_SLOT
                if room > 0 and room_to_lease and await self._lease():
                    continue
                if self._in_flight:
                    # Full, or what is leased waits for its busy targets: until one ends.
                    await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
                elif not self._leased:
                    await self._rest()
                # else: the attempts ended while leasing, and what is leased can start.
        finally:
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            self._settle_now.ring()
            await settling
            await self._client.aclose()

    def _startable(self, room: int) -> list[_Leased]:
        """Up to ``room`` deliveries (one POST each) whose target has a free slot, in
        lease order; the others stay queued (a slow endpoint never holds a slot it
        cannot use). One whose lease is nearly over is dropped unsent: once it lapses,
        a sender leases it again, and only one sends it."""
        chosen: list[_Leased] = []
        kept: collections.deque[_Leased] = collections.deque()
        too_late = utc_now() + LEASE_MARGIN
        while self._leased:
            leased = self._leased.popleft()
            target = leased.delivery["subscription_id"]
            if leased.delivery["next_attempt_at"] < too_late:
                continue
            if len(chosen) < room and self._busy[target] < self._per_target:
                self._busy[target] += 1
                chosen.append(leased)
            else:
                kept.append(leased)
        self._leased = kept
        return chosen

    async def _settle_continuously(self) -> None:
        """Write attempts' outcomes in batches (one bulk write every few milliseconds,
        not one update each): until stopped and nothing is left to write. An outcome
        lost with the process is attempted again once its lease lapses (receivers
        drop repeats by X-CC-Event-Id)."""
        while True:
            if not self._settled:
                if self._stopping.is_set() and not self._in_flight:
                    return
                await self._settle_now.wait(LONGEST_REST_SECONDS)
                continue
            await self._settle_now.wait(SETTLE_EVERY_SECONDS)  # a batch gathers
            batch, self._settled = self._settled, []
            try:
                await self._repository.settle_many(batch)
            except PyMongoError as exc:
                log.warning("webhook.settle_failed", error=repr(exc), count=len(batch))
                if self._stopping.is_set():
                    return  # the leases lapse and the attempts are made again
                self._settled = batch + self._settled
                await asyncio.sleep(SETTLE_EVERY_SECONDS)

    async def _lease(self) -> bool:
        """Lease a batch (what this process just stored first, else a scan for due
        ones) with each subscription read once (fresh: a rotated secret counts)."""
        batch = self._concurrency * LEASED_PER_SLOT
        try:
            claimed = await self._repository.claim_fresh(utc_now(), batch)
            if not claimed:
                claimed = await self._repository.claim_many(utc_now(), batch)
        except PyMongoError:
            return False
        WEBHOOK_LEASED.inc(len(claimed))
        subscriptions: dict[tuple[str, str], dict[str, Any] | None] = {}
        unread: set[tuple[str, str]] = set()
        for delivery in claimed:
            key = (delivery["tenant_id"], delivery["subscription_id"])
            if key not in subscriptions and key not in unread:
                try:
                    subscriptions[key] = await self._repository.subscription(*key)
                except PyMongoError:
                    unread.add(key)  # its deliveries stay leased; tried when it lapses
        for delivery in claimed:
            key = (delivery["tenant_id"], delivery["subscription_id"])
            if key not in unread:
                self._leased.append(_Leased(delivery, subscriptions[key]))
        return bool(claimed)

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

    async def _attempt(self, leased: _Leased) -> None:
        target = leased.delivery["subscription_id"]
        try:
            await self._send(leased.delivery, leased.subscription)
        except PyMongoError:
            log.warning("webhook.attempt_failed", delivery_id=leased.delivery["_id"])
        finally:
            self._busy[target] -= 1
            if self._busy[target] <= 0:
                del self._busy[target]

    async def _send(self, delivery: dict[str, Any], subscription: dict[str, Any] | None) -> None:
        """One POST: the delivery's event as the body, or, for a subscription that takes
        batches, ``{"events": [...]}``."""
        started = utc_now()

        async def finish(**outcome: Any) -> None:
            await self._finish(delivery, started, **outcome)

        if subscription is None:
            await finish(error="subscription removed", final=True)
            return
        try:
            target = await pinned_target(subscription["url"], allow_private=self._allow_private)
        except UnsafeUrl as exc:
            await finish(error=str(exc), final=True)
            return
        except OSError as exc:  # the name does not resolve now: try again later
            await finish(error=f"resolution failed: {exc}")
            return
        body, described = _body(delivery, batched=batch_max(subscription) > 1)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "contactcenter-webhooks/1",
            **described,
            "X-CC-Delivery-Id": delivery["_id"],
            "X-CC-Timestamp": str(timestamp),
            "X-CC-Signature": signature_header(
                _valid_secrets(subscription, started), timestamp, body
            ),
        }
        try:
            response = await self._client.post(
                target.url,
                content=body,
                headers={**headers, **target.headers},
                extensions=target.extensions,
            )
        except httpx.HTTPError as exc:
            await finish(error=type(exc).__name__)
            return
        if 200 <= response.status_code < 300:
            await finish(status_code=response.status_code, done=True)
        else:
            await finish(
                status_code=response.status_code, error=response.text[:EXCERPT_CHARS] or None
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
        self._settled.append(Settlement(delivery["_id"], attempt, status, retry_at))
        if len(self._settled) in (1, SETTLE_BATCH):
            self._settle_now.ring()  # the first of a batch wakes the writer; a full one too
        log.debug(
            "webhook.attempt",
            delivery_id=delivery["_id"],
            status=status,
            status_code=status_code,
        )


class WebhookBacklog(Periodic):
    """Measures how far the senders are behind (for the dashboard and its alert)."""

    name = "webhook-backlog"

    def __init__(self, repository: WebhookStore, interval_seconds: float = 15.0) -> None:
        super().__init__(interval_seconds)
        self._repository = repository

    async def round(self) -> None:
        now = utc_now()
        count, oldest = await self._repository.backlog(now)
        WEBHOOK_BACKLOG.set(count)
        WEBHOOK_OLDEST_DUE.set((now - oldest).total_seconds() if oldest else 0.0)


def batch_max(subscription: dict[str, Any] | None) -> int:
    """Events per POST the subscription takes (1: each event alone, as its own body)."""
    return int((subscription or {}).get("batch_max") or 1)


def _body(delivery: dict[str, Any], *, batched: bool) -> tuple[bytes, dict[str, str]]:
    """The POST's body and the headers that describe it."""
    events = delivery_events(delivery)
    if not batched:
        [event] = events
        body = json.dumps(event, separators=(",", ":")).encode()
        return body, {"X-CC-Event-Id": event["id"], "X-CC-Event-Type": event["type"]}
    body = json.dumps({"events": events}, separators=(",", ":")).encode()
    return body, {"X-CC-Event-Count": str(len(events))}


def _valid_secrets(subscription: dict[str, Any], now: datetime) -> list[str]:
    """The current secret, and the previous one while its overlap lasts."""
    valid = [subscription["secret"]]
    previous = subscription.get("previous_secret")
    until = subscription.get("previous_valid_until")
    if previous and until and until > now:
        valid.append(previous)
    return valid


@dataclass(frozen=True, slots=True)
class Target:
    """Where one delivery connects: the checked address, with the subscription's host
    name kept for the Host header and for TLS (SNI and the certificate's name)."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, Any]


async def pinned_target(url: str, *, allow_private: bool) -> Target:
    """Check the URL again and resolve its host once: every address must be public
    (server-side request forgery), and the request goes to the first of them, never to
    whatever the name resolves to a moment later (DNS rebinding)."""
    parts = check_url(url, allow_insecure=allow_private)
    host = parts.hostname or ""
    if allow_private or literal_address(host) is not None:
        return Target(url, {}, {})
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, parts.port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    for address in addresses:
        check_address(address)
    literal = f"[{addresses[0]}]" if ":" in addresses[0] else addresses[0]
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return Target(parts._replace(netloc=netloc).geturl(), {"Host": parts.netloc}, extensions)
