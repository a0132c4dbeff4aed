"""Dead-letter records: the original message plus why it failed, in ``x-`` headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cc_common.kafka.producer import Headers

ERROR_HEADERS = (
    "x-error-type",
    "x-error-message",
    "x-original-topic",
    "x-original-partition",
    "x-original-offset",
    "x-consumer-group",
    "x-attempts",
    "x-failed-at",
)
MAX_ERROR_MESSAGE = 2_000


@dataclass(frozen=True, slots=True)
class Failure:
    error_type: str
    message: str
    topic: str
    partition: int
    offset: int
    group: str
    attempts: int


def dead_letter_headers(original: Headers, failure: Failure) -> Headers:
    """The original headers followed by the failure's, replacing an earlier failure's."""
    kept = [(k, v) for k, v in original if k not in ERROR_HEADERS]
    return [
        *kept,
        ("x-error-type", failure.error_type.encode()),
        ("x-error-message", failure.message[:MAX_ERROR_MESSAGE].encode()),
        ("x-original-topic", failure.topic.encode()),
        ("x-original-partition", str(failure.partition).encode()),
        ("x-original-offset", str(failure.offset).encode()),
        ("x-consumer-group", failure.group.encode()),
        ("x-attempts", str(failure.attempts).encode()),
        ("x-failed-at", datetime.now(UTC).isoformat().encode()),
    ]


def replay_headers(headers: Headers) -> Headers:
    """Headers for republishing a dead letter: the original ones, plus a replay mark."""
    kept = [(k, v) for k, v in headers if k not in ERROR_HEADERS and k != "x-replayed-at"]
    return [*kept, ("x-replayed-at", datetime.now(UTC).isoformat().encode())]


def header_text(headers: Headers, name: str) -> str | None:
    """The last value of a header as text, or None."""
    values = [v for k, v in headers if k == name]
    return values[-1].decode("utf-8", "replace") if values else None


def rejected_payload_headers(*, reason: str, source: str, tenant_id: str | None) -> Headers:
    """Headers of a provider payload an ingest service could not normalise.

    The provider was answered 2xx (it would only resend the same bytes); the
    payload waits on the dead-letter topic for a fix and a replay.
    """
    headers: Headers = [
        ("x-error-type", b"UnreadablePayload"),
        ("x-error-message", reason[:MAX_ERROR_MESSAGE].encode()),
        ("x-source", source.encode()),
        ("x-failed-at", datetime.now(UTC).isoformat().encode()),
    ]
    if tenant_id:
        headers.append(("x-tenant-id", tenant_id.encode()))
    return headers
