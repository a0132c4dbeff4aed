"""The consumer runner every service uses to handle a topic safely.

Rules it enforces: offsets are committed only after the handler's effects are stored;
a failing message is retried with backoff a bounded number of times and then
dead-lettered with its error; undecodable messages are dead-lettered at once;
messages with the same order key are handled in order while different keys of a
batch run concurrently; an outage of the database or broker is waited out, never
dead-lettered; ``stop()`` drains the batch in hand, commits and closes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind

from cc_common.errors import PermanentError, is_infrastructure_error
from cc_common.events.envelope import Envelope
from cc_common.events.registry import UndecodableEvent, decode_event
from cc_common.kafka.batching import (
    backoff_seconds,
    group_in_order,
    next_fetch_wait,
    next_offsets,
)
from cc_common.kafka.dead_letters import Failure, dead_letter_headers
from cc_common.kafka.producer import BrokerUnavailable, EventProducer, EventRefused, Headers
from cc_common.logging import bind_context, get_logger
from cc_common.metrics import (
    CONSUMER_BATCH_RECORDS,
    CONSUMER_BATCH_SECONDS,
    CONSUMER_LAG,
    DEAD_LETTERED,
    EVENTS_CONSUMED,
    HANDLER_RETRIES,
)
from cc_common.settings import KafkaSettings
from cc_common.topics import DLQ_SUFFIX
from cc_common.tracing import context_from_headers, tracer

log = get_logger(__name__)
_TRACER = tracer(__name__)

POLL_TIMEOUT_MS = 1000
"""How long one ``getmany`` waits for records before the loop looks at ``stop()`` again,
and how often aiokafka's fetch task looks at its outstanding fetch. Records and answers
end either wait at once, so this only sets how often an idle consumer wakes (and how
late a stop is noticed): at aiokafka's 200 ms, ten wake-ups a second per consumer."""


class _PhaseTimer:
    """Times the phases of a batch (``cc_consumer_batch_seconds``); the fetch phase
    starts after the last empty fetch, so idle waiting is not counted."""

    def __init__(self, group_id: str) -> None:
        self._group_id = group_id
        self._since = time.perf_counter()

    def restart(self) -> None:
        self._since = time.perf_counter()

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        CONSUMER_BATCH_SECONDS.labels(self._group_id, phase).observe(now - self._since)
        self._since = now


def _span_attributes(delivery: Delivery, group: str) -> dict[str, str | int]:
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": delivery.topic,
        "messaging.consumer.group.name": group,
        "messaging.kafka.offset": delivery.offset,
        "messaging.message.id": str(delivery.event.id),
    }


@dataclass(frozen=True, slots=True)
class Delivery:
    """One decoded message, with where it came from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers
    event: Envelope[Any]


Handler = Callable[[Delivery], Awaitable[None]]
GroupHandler = Callable[[list[Delivery]], Awaitable[list[tuple[Delivery, Exception]]]]
"""Handles one order key's deliveries of a batch together (one store write for all);
returns the deliveries it could not handle, to dead-letter with their errors. Given
with a ``Handler`` too, a group that fails is handled again one delivery at a time,
so one bad message is retried and dead-lettered alone."""
OrderKey = Callable[[Envelope[Any]], str]


def by_tenant(event: Envelope[Any]) -> str:
    """Order key: one sequence per tenant (the router's single-writer rule)."""
    return event.tenant_id


def by_conversation(event: Envelope[Any]) -> str:
    """Order key: one sequence per conversation of a tenant (replies: one
    conversation's retries do not hold another's)."""
    conversation = getattr(event.data, "conversation_key", "")
    return f"{event.tenant_id}|{conversation}"


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Outcome(Generic[_T]):
    """A handler's result after retries: its value, or the error it ended with."""

    value: _T | None
    error: Exception | None
    attempts: int


@dataclass(frozen=True, slots=True)
class _DeadLetter:
    """The original message (exact bytes) and why it failed."""

    key: bytes | None
    value: bytes
    headers: Headers
    failure: Failure


class _Stopping(Exception):
    """Raised inside a batch when stop() interrupts a wait; the batch is not committed."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base: float = 0.1
    backoff_cap: float = 5.0


VALUE_OMITTED_HEADER = "x-value-omitted"


def without_value(
    record: tuple[bytes | None, bytes, Headers], reason: str
) -> tuple[bytes | None, bytes, Headers]:
    """A dead letter whose value the broker refused: its headers, and why the value
    is missing (the original stays readable at its offset while the topic keeps it)."""
    key, value, headers = record
    note = f"{len(value)} bytes omitted: {reason}"
    return key, b"", [*headers, (VALUE_OMITTED_HEADER, note.encode())]


class ConsumerRunner:
    """Consumes topics in a group and hands each decoded event to a handler."""

    def __init__(
        self,
        *,
        settings: KafkaSettings,
        topics: Sequence[str],
        group_id: str,
        handler: Handler | None = None,
        group_handler: GroupHandler | None = None,
        producer: EventProducer,
        order_key: OrderKey = by_tenant,
        retry: RetryPolicy | None = None,
        start_at: str = "earliest",
    ) -> None:
        self._settings = settings
        self._start_at = start_at
        self._topics = list(topics)
        self.group_id = group_id
        if handler is None and group_handler is None:
            raise ValueError("give a handler, a group_handler or both")
        self._handler = handler
        self._group_handler = group_handler
        self._producer = producer
        self._order_key = order_key
        self._retry = retry or RetryPolicy()
        self._stopping = asyncio.Event()
        self.assigned = asyncio.Event()
        self._pacing_warned = False
        self.running = False

    def stop(self) -> None:
        """Ask the loop to finish the batch in hand, commit and close."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stop() is called."""
        suffix = self._settings.topic_suffix
        consumer = AIOKafkaConsumer(
            *(t + suffix for t in self._topics),
            bootstrap_servers=self._settings.bootstrap_servers,
            client_id=f"{self._settings.client_id}-{self.group_id}",
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset=self._start_at,
            fetch_max_wait_ms=self._settings.fetch_max_wait_ms,
            # aiokafka's fetch task wakes this often while a fetch is out (5/s by default);
            # a fetch's answer wakes it anyway.
            consumer_timeout_ms=POLL_TIMEOUT_MS,
            max_poll_records=self._settings.max_poll_records,
            session_timeout_ms=self._settings.session_timeout_ms,
            heartbeat_interval_ms=self._settings.heartbeat_interval_ms,
            group_instance_id=(
                f"{self._settings.group_instance_id}/{self.group_id}"
                if self._settings.group_instance_id
                else None
            ),
        )
        await consumer.start()
        self.running = True
        log.info("consumer.started", group=self.group_id, topics=self._topics)
        fetch_wait = self._settings.fetch_max_wait_ms
        try:
            timed = _PhaseTimer(self.group_id)
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=POLL_TIMEOUT_MS)
                if consumer.assignment():
                    self.assigned.set()
                fetch_wait = self._pace_fetches(consumer, fetch_wait, got_records=bool(batch))
                if not batch:
                    timed.restart()
                    continue
                timed.done("fetch")
                try:
                    await self._handle_batch(batch)
                except _Stopping:
                    log.info("consumer.batch_abandoned_on_stop", group=self.group_id)
                    break
                timed.done("handle")
                await self._commit(consumer, batch)
                timed.done("commit")
                self._record_lag(consumer, batch)
                CONSUMER_BATCH_RECORDS.labels(self.group_id).observe(
                    sum(len(records) for records in batch.values())
                )
        finally:
            self.running = False
            await consumer.stop()
            log.info("consumer.stopped", group=self.group_id)

    async def _handle_batch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        deliveries: list[Delivery] = []
        failures: list[_DeadLetter] = []
        for records in batch.values():
            for record in records:
                try:
                    deliveries.append(self._decode(record))
                except UndecodableEvent as exc:
                    failure = self._failure(record, exc, attempts=1)
                    headers = list(record.headers or ())
                    failures.append(_DeadLetter(record.key, record.value, headers, failure))
        groups = group_in_order(deliveries, key=lambda d: self._order_key(d.event))
        results = await asyncio.gather(*(self._handle_group(group) for group in groups))
        for group_failures in results:
            failures.extend(group_failures)
        if failures:
            await self._dead_letter(failures)

    def _decode(self, record: ConsumerRecord) -> Delivery:
        return Delivery(
            topic=self._logical(record.topic),
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=list(record.headers or ()),
            event=decode_event(record.value),
        )

    async def _handle_group(self, group: list[Delivery]) -> list[_DeadLetter]:
        if self._group_handler is not None:
            return await self._handle_group_at_once(group, self._group_handler)
        return await self._handle_one_by_one(group)

    async def _handle_one_by_one(self, group: list[Delivery]) -> list[_DeadLetter]:
        failures = []
        for delivery in group:
            failure = await self._handle_one(delivery)
            if failure is not None:
                failures.append(
                    _DeadLetter(delivery.key, delivery.value, delivery.headers, failure)
                )
        return failures

    async def _handle_group_at_once(
        self, group: list[Delivery], handler: GroupHandler
    ) -> list[_DeadLetter]:
        # One span for the group, continuing the first message's trace and linking the rest.
        links = [
            Link(trace.get_current_span(context_from_headers(d.headers)).get_span_context())
            for d in group[1:]
        ]
        with _TRACER.start_as_current_span(
            f"{group[0].topic} process",
            context=context_from_headers(group[0].headers),
            kind=SpanKind.CONSUMER,
            attributes={
                **_span_attributes(group[0], self.group_id),
                "messaging.batch.message_count": len(group),
            },
            links=[link for link in links if link.context.is_valid],
        ):
            return await self._handle_group_retrying(group, handler)

    def _pace_fetches(
        self, consumer: AIOKafkaConsumer, current_ms: int, *, got_records: bool
    ) -> int:
        """Set the wait of the consumer's next fetches (see ``next_fetch_wait``).

        aiokafka fixes the wait at construction; its fetcher reads it from
        ``_fetch_max_wait_ms`` for every request, which is what this sets. Should a
        release rename it, pacing stops (the fixed wait remains) and a warning says so.
        """
        wait = next_fetch_wait(
            current_ms,
            got_records=got_records,
            busy_ms=self._settings.fetch_max_wait_ms,
            idle_ms=self._settings.fetch_idle_wait_ms,
        )
        fetcher = getattr(consumer, "_fetcher", None)
        if wait != current_ms and fetcher is not None:
            if hasattr(fetcher, "_fetch_max_wait_ms"):
                fetcher._fetch_max_wait_ms = wait
            elif not self._pacing_warned:
                self._pacing_warned = True
                log.warning("consumer.fetch_pacing_unavailable", group=self.group_id)
        return wait

    async def _handle_group_retrying(
        self, group: list[Delivery], handler: GroupHandler
    ) -> list[_DeadLetter]:
        one_by_one = self._handler is not None
        outcome = await self._retrying(
            lambda: handler(group), max_attempts=1 if one_by_one else None
        )
        if outcome.error is not None and one_by_one:
            log.warning(
                "consumer.group_failed_one_by_one", error=repr(outcome.error), size=len(group)
            )
            return await self._handle_one_by_one(group)
        if outcome.error is not None:
            log.error("consumer.group_failed", error=repr(outcome.error), size=len(group))
            refused = [(delivery, outcome.error) for delivery in group]
        else:
            refused = outcome.value or []
        failed = {id(d) for d, _ in refused}
        for delivery in group:
            if id(delivery) not in failed:
                EVENTS_CONSUMED.labels(delivery.topic, self.group_id, "handled").inc()
        return [
            _DeadLetter(d.key, d.value, d.headers, self._failure(d, exc, attempts=outcome.attempts))
            for d, exc in refused
        ]

    async def _retrying(
        self, call: Callable[[], Awaitable[_T]], *, max_attempts: int | None = None
    ) -> _Outcome[_T]:
        """Run a handler until it succeeds. An infrastructure outage is not the
        message's fault: it is waited out and not counted. A PermanentError is not
        retried; other errors are, with backoff, up to the attempts allowed."""
        allowed = max_attempts or self._retry.max_attempts
        attempt = 0
        while True:
            attempt += 1
            try:
                return _Outcome(await call(), None, attempt)
            except Exception as exc:
                if not isinstance(exc, PermanentError) and is_infrastructure_error(exc):
                    log.warning("consumer.infrastructure_down", error=repr(exc))
                    attempt -= 1
                    await self._sleep(self._retry.backoff_cap)
                    continue
                if isinstance(exc, PermanentError) or attempt >= allowed:
                    return _Outcome(None, exc, attempt)
                HANDLER_RETRIES.labels(self.group_id).inc()
                log.warning("consumer.retrying", attempt=attempt, error=repr(exc))
                await self._sleep(
                    backoff_seconds(
                        attempt, base=self._retry.backoff_base, cap=self._retry.backoff_cap
                    )
                )

    async def _handle_one(self, delivery: Delivery) -> Failure | None:
        event = delivery.event
        handler = self._handler
        assert handler is not None
        with (
            _TRACER.start_as_current_span(
                f"{delivery.topic} process",
                context=context_from_headers(delivery.headers),
                kind=SpanKind.CONSUMER,
                attributes=_span_attributes(delivery, self.group_id),
            ),
            bind_context(event_id=str(event.id), correlation_id=event.correlation_id),
        ):
            outcome = await self._retrying(lambda: handler(delivery))
        if outcome.error is None:
            EVENTS_CONSUMED.labels(delivery.topic, self.group_id, "handled").inc()
            return None
        if not isinstance(outcome.error, PermanentError):
            log.error("consumer.retries_exhausted", error=repr(outcome.error))
        return self._failure(delivery, outcome.error, attempts=outcome.attempts)

    async def _dead_letter(self, failures: list[_DeadLetter]) -> None:
        by_topic: dict[str, list[tuple[bytes | None, bytes, Headers]]] = {}
        for dead in failures:
            failure = dead.failure
            headers = dead_letter_headers(dead.headers, failure)
            by_topic.setdefault(failure.topic + DLQ_SUFFIX, []).append(
                (dead.key, dead.value, headers)
            )
            log.error(
                "consumer.dead_lettered",
                topic=failure.topic,
                partition=failure.partition,
                offset=failure.offset,
                error_type=failure.error_type,
                error=failure.message,
            )
        for dlq, records in by_topic.items():
            omitted = False
            while True:
                try:
                    await self._producer.send_raw_many(dlq, records)
                    break
                except BrokerUnavailable as exc:
                    log.warning("consumer.dead_letter_waiting_for_broker", error=repr(exc))
                    await self._sleep(self._retry.backoff_cap)
                except EventRefused as exc:
                    if omitted:  # refused even without values: the log is all that is left
                        log.error("consumer.dead_letter_refused", dlq=dlq, error=str(exc))
                        break
                    # The letter is refused as the message was: keep its headers (where
                    # it is in the source topic, and why it failed) without the value.
                    log.error("consumer.dead_letter_value_omitted", dlq=dlq, error=str(exc))
                    limit = self._producer.max_event_bytes
                    too_big = {id(r) for r in records if len(r[1]) > limit}
                    records = [
                        without_value(r, str(exc)) if not too_big or id(r) in too_big else r
                        for r in records
                    ]
                    omitted = True
            DEAD_LETTERED.labels(dlq.removesuffix(DLQ_SUFFIX), self.group_id).inc(len(records))
            EVENTS_CONSUMED.labels(
                dlq.removesuffix(DLQ_SUFFIX), self.group_id, "dead_lettered"
            ).inc(len(records))

    async def _commit(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        offsets = next_offsets((tp, r.offset) for tp, records in batch.items() for r in records)
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partitions away: the new owner re-handles the batch,
            # which idempotent effects make harmless.
            log.warning("consumer.commit_failed", error=repr(exc))

    def _record_lag(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        for tp, records in batch.items():
            highwater = consumer.highwater(tp)
            if highwater is not None and records:
                lag = max(0, highwater - (records[-1].offset + 1))
                CONSUMER_LAG.labels(self._logical(tp.topic), self.group_id).set(lag)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise _Stopping

    def _failure(
        self, source: ConsumerRecord | Delivery, exc: BaseException, *, attempts: int
    ) -> Failure:
        return Failure(
            error_type=type(exc).__name__,
            message=str(exc) or repr(exc),
            topic=self._logical(source.topic),
            partition=source.partition,
            offset=source.offset,
            group=self.group_id,
            attempts=attempts,
        )

    def _logical(self, physical: str) -> str:
        suffix = self._settings.topic_suffix
        return physical.removesuffix(suffix) if suffix else physical
