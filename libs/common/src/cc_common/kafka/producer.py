"""One producer per process: waits for ``acks=all``, batches, compresses."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry.context import Context, attach, detach

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
        """Send raw records and wait for every acknowledgement."""
        producer = self._require_started()
        physical = self.topic(topic)
        try:
            futures = [
                await producer.send(physical, value=value, key=key, headers=headers)
                for key, value, headers in records
            ]
            await asyncio.gather(*futures)
        except KafkaError as exc:
            PUBLISH_FAILURES.labels(topic).inc(len(records))
            raise BrokerUnavailable(f"broker did not acknowledge: {exc!r}") from exc
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
