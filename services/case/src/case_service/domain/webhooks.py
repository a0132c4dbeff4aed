"""Outbound webhooks: which events a subscription gets, how deliveries are signed, and
when a failed one is tried again (pure).

Each delivery carries ``X-CC-Timestamp`` (Unix seconds) and
``X-CC-Signature: t=<timestamp>,v1=<hex>[,v1=<hex>]``, where each ``v1`` is
HMAC-SHA256 of ``"<timestamp>.<raw body>"`` under one of the subscription's valid
secrets (two during a rotation). Receivers recompute it with their secret, compare in
constant time, and refuse timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any, TypeVar

from cc_common.signatures import same_secret

RETRY_FOR = timedelta(hours=24)
FIRST_RETRY = timedelta(seconds=10)
LONGEST_WAIT = timedelta(hours=1)
T = TypeVar("T")
EVENT_PATTERNS = ("case.changed", "case.sla_breached", "task.*", "*")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature_header(secret_values: Iterable[str], timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex>`` with one ``v1`` per valid secret."""
    signed = f"{timestamp}.".encode() + body
    parts = [f"t={timestamp}"]
    for secret in secret_values:
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        parts.append(f"v1={digest}")
    return ",".join(parts)


def verify(header: str, secret: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (used by our tests and documented for integrators)."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [v for k, v in fields if k == "t"]
    if len(timestamps) != 1 or not (timestamps[0].isascii() and timestamps[0].isdigit()):
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature_header([secret], timestamp, body).split(",v1=")[1]
    return any(same_secret(v, expected) for k, v in fields if k == "v1")


LEASE = timedelta(seconds=60)
"""How long a sender holds a delivery it leased before another may take it."""


@dataclass(frozen=True, slots=True)
class Settlement:
    """How an attempt ended: the delivery is then delivered, pending (tried again at
    ``next_attempt_at``) or failed; ``attempt`` is kept in its log."""

    delivery_id: str
    attempt: dict[str, Any]
    status: str
    next_attempt_at: datetime | None


def in_posts(events: Sequence[T], batch_max: int) -> list[Sequence[T]]:
    """``events`` in order, cut into POSTs of at most ``batch_max``."""
    size = max(1, batch_max)
    return [events[first : first + size] for first in range(0, len(events), size)]


def delivery_events(delivery: dict[str, Any]) -> list[dict[str, Any]]:
    """The events a stored delivery carries (one, in those stored by earlier releases)."""
    events: list[dict[str, Any]] = delivery.get("events") or [delivery["event"]]
    return events


def wanted(patterns: Iterable[str], event_type: str) -> bool:
    """True when one of the subscription's patterns (``task.*``, ``*``) names the type."""
    return any(fnmatchcase(event_type, pattern) for pattern in patterns)


def next_attempt(
    since: datetime,
    attempts: int,
    now: datetime,
    *,
    first: timedelta = FIRST_RETRY,
    retry_for: timedelta = RETRY_FOR,
) -> datetime | None:
    """When to try again after ``attempts`` failures (10 s, doubling, at most an hour
    apart), or None once retrying has lasted a day since ``since``."""
    wait = min(first * (2 ** max(0, attempts - 1)), LONGEST_WAIT)
    at = now + wait
    return at if at <= since + retry_for else None
