"""One producer per process: waits for ``acks=all``, batches, compresses."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    CorruptRecordException,
    InvalidTimestampError,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    PolicyViolationError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnsupportedForMessageFormatError,
)
from opentelemetry.context import Context, attach, detach

from cc_common.errors import PermanentError
from cc_common.events.envelope import Envelope
from cc_common.events.registry import encode_event
from cc_common.logging import get_logger
from cc_common.metrics import EVENTS_PUBLISHED, PUBLISH_FAILURES
from cc_common.settings import KafkaSettings
from cc_common.tracing import inject_headers

log = get_logger(__name__)

Headers = list[tuple[str, bytes]]


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge the write: the caller must not report success."""


class EventRefused(PermanentError):
    """The broker refuses these records for what they are (too large, malformed, not
    authorised): sending them again cannot help, so they fail alone and the stream goes
    on. ``too_large`` tells a size refusal (413 at an API) from the others."""

    def __init__(self, message: str, *, too_large: bool) -> None:
        super().__init__(message)
        self.too_large = too_large


REFUSALS_BY_SIZE: tuple[type[KafkaError], ...] = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
OTHER_REFUSALS: tuple[type[KafkaError], ...] = (
    CorruptRecordException,
    InvalidTimestampError,
    InvalidTopicError,
    PolicyViolationError,
    TopicAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    UnsupportedForMessageFormatError,
)
"""Errors about the records themselves. Everything else (timeouts, leaders moving, a
broker down, an unknown topic, which is a deployment's fault and not one event's) is an
outage: waited out, never a reason to drop an event."""


def event_headers(event: Envelope[Any]) -> Headers:
    """Headers repeating the envelope's metadata, so tools can route without parsing."""
    headers: Headers = [
        ("id", str(event.id).encode()),
        ("type", event.type.encode()),
        ("schema_version", str(event.schema_version).encode()),
        ("tenant_id", event.tenant_id.encode()),
    ]
    if event.correlation_id:
        headers.append(("correlation_id", event.correlation_id.encode()))
    return headers


class EventProducer:
    """Publishes events and raw records; every send waits for the broker's acknowledgement."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self.idempotent = False

    @property
    def max_event_bytes(self) -> int:
        """The largest encoded event this producer sends."""
        return self._settings.max_event_bytes

    def topic(self, name: str) -> str:
        """The physical topic name (with the deployment's suffix)."""
        return name + self._settings.topic_suffix

    async def start(self) -> None:
        """Connect; with idempotence 'auto', fall back when the broker refuses it."""
        mode = self._settings.idempotence
        if mode in ("auto", "on"):
            try:
                self._producer = await self._start(idempotent=True)
                self.idempotent = True
                return
            except KafkaError as exc:
                if mode == "on":
                    raise
                log.warning("kafka.idempotence_refused", error=repr(exc))
        self._producer = await self._start(idempotent=False)

    async def _start(self, *, idempotent: bool) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.bootstrap_servers,
            client_id=self._settings.client_id,
            acks="all",
            enable_idempotence=idempotent,
            compression_type=self._settings.compression,
            linger_ms=self._settings.linger_ms,
            request_timeout_ms=self._settings.request_timeout_ms,
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        return producer

    async def stop(self) -> None:
        """Flush what is pending and close."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, topic: str, event: Envelope[Any]) -> None:
        """Publish one event keyed by tenant; returns once the broker has it."""
        await self.publish_many(topic, [event])

    async def publish_many(
        self,
        topic: str,
        events: Sequence[Envelope[Any]],
        *,
        contexts: Sequence[Context | None] | None = None,
    ) -> None:
        """Publish events concurrently (one batch); returns once all are acknowledged.

        Each event carries the current trace context, or its own from ``contexts``.
        """
        records = []
        for index, event in enumerate(events):
            own = contexts[index] if contexts is not None else None
            token = attach(own) if own is not None else None
            try:
                headers = inject_headers(event_headers(event))
            finally:
                if token is not None:
                    detach(token)
            records.append((event.tenant_id.encode(), encode_event(event), headers))
        await self.send_raw_many(topic, records)

    async def send_raw_many(
        self, topic: str, records: Sequence[tuple[bytes | None, bytes, Headers]]
    ) -> None:
        """Send raw records and wait for every acknowledgement.

        Raises EventRefused (nothing sent) when a record is over ``max_event_bytes``, or
        when the broker refuses one for good; BrokerUnavailable for anything else.
        """
        producer = self._require_started()
        physical = self.topic(topic)
        limit = self._settings.max_event_bytes
        for _, value, _ in records:
            if len(value) > limit:
                PUBLISH_FAILURES.labels(topic).inc(len(records))
                raise EventRefused(
                    f"an event of {len(value)} bytes is over the limit of {limit} bytes",
                    too_large=True,
                )
        try:
            futures = [
                await producer.send(physical, value=value, key=key, headers=headers)
                for key, value, headers in records
            ]
            await asyncio.gather(*futures)
        except (*REFUSALS_BY_SIZE, *OTHER_REFUSALS) as exc:
            PUBLISH_FAILURES.labels(topic).inc(len(records))
            log.warning("kafka.event_refused", topic=topic, error=repr(exc))
            too_large = isinstance(exc, REFUSALS_BY_SIZE)
            what = "the event's size" if too_large else "the event"
            raise EventRefused(f"the broker refused {what}", too_large=too_large) from exc
        except KafkaError as exc:
            PUBLISH_FAILURES.labels(topic).inc(len(records))
            # The detail reaches API clients: the broker's own error stays in the logs.
            log.warning("kafka.not_acknowledged", topic=topic, error=repr(exc))
            raise BrokerUnavailable("the broker did not acknowledge the event") from exc
        EVENTS_PUBLISHED.labels(topic).inc(len(records))

    async def ping(self) -> bool:
        """True when the broker answers a metadata request."""
        producer = self._require_started()
        try:
            await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout=2)
        except (KafkaError, TimeoutError):
            return False
        return True

    def _require_started(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise BrokerUnavailable("producer is not started")
        return self._producer
