"""The consumer runner against a real broker: commits, retries, dead letters, order."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from cc_common.errors import PermanentError
from cc_common.events import (
    INTERACTION_RECEIVED,
    Channel,
    Content,
    Direction,
    Envelope,
    Interaction,
)
from cc_common.events.registry import encode_event
from cc_common.kafka import dlq_tools
from cc_common.kafka.consumer import (
    VALUE_OMITTED_HEADER,
    ConsumerRunner,
    Delivery,
    RetryPolicy,
    by_tenant,
)
from cc_common.kafka.producer import EventProducer, EventRefused
from cc_common.settings import KafkaSettings
from cc_common.topics import INTERACTIONS, ROUTING

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05)


def event(text: str, *, conversation: str = "c1", tenant: str = "acme") -> Envelope[Interaction]:
    return Envelope[Interaction](
        id=uuid.uuid4(),
        type=INTERACTION_RECEIVED,
        tenant_id=tenant,
        occurred_at=datetime.now(UTC),
        source="test",
        data=Interaction(
            channel=Channel.WEBCHAT,
            direction=Direction.INBOUND,
            provider="webchat",
            conversation_key=conversation,
            content=Content(text=text),
        ),
    )


def text_of(delivery: Delivery) -> str:
    data = delivery.event.data
    assert isinstance(data, Interaction)
    assert data.content is not None
    assert data.content.text is not None
    return data.content.text


class Recorder:
    """A handler that records what it handled and can be told to fail."""

    def __init__(self, fail: Callable[[str, int], Exception | None] | None = None) -> None:
        self.handled: list[str] = []
        self.attempts: defaultdict[str, int] = defaultdict(int)
        self._fail = fail

    async def __call__(self, delivery: Delivery) -> None:
        text = text_of(delivery)
        self.attempts[text] += 1
        if self._fail is not None:
            error = self._fail(text, self.attempts[text])
            if error is not None:
                raise error
        self.handled.append(text)


async def run_until(
    runner: ConsumerRunner, done: Callable[[], bool], timeout: float = 30.0
) -> None:
    """Run the runner until ``done()``; then stop it gracefully."""
    task = asyncio.create_task(runner.run())
    try:
        async with asyncio.timeout(timeout):
            while not done():
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
    finally:
        runner.stop()
        await asyncio.wait_for(task, 30)


def make_runner(
    settings: KafkaSettings,
    producer: EventProducer,
    handler: Callable[[Delivery], Awaitable[None]],
    *,
    group: str,
    order_key: Callable[[Envelope[Any]], str] | None = None,
) -> ConsumerRunner:
    return ConsumerRunner(
        settings=settings,
        topics=[INTERACTIONS.name],
        group_id=group,
        handler=handler,
        producer=producer,
        retry=FAST_RETRY,
        order_key=order_key or by_tenant,
    )


async def test_poison_message_is_dead_lettered_and_the_stream_keeps_flowing(
    kafka_settings: KafkaSettings, producer: EventProducer, unique: str
) -> None:
    await producer.publish(INTERACTIONS.name, event("before"))
    await producer.send_raw_many(INTERACTIONS.name, [(b"acme", b"{this is not json", [])])
    await producer.publish(INTERACTIONS.name, event("after"))
    recorder = Recorder()
    runner = make_runner(kafka_settings, producer, recorder, group=f"g-{unique}")
    await run_until(runner, lambda: len(recorder.handled) == 2)

    assert recorder.handled == ["before", "after"]
    letters = await dlq_tools.read_dead_letters(kafka_settings, INTERACTIONS.name)
    assert len(letters) == 1
    assert letters[0].value == b"{this is not json"
    assert letters[0].error_type == "UndecodableEvent"
    assert letters[0].error_message is not None
    assert "invalid envelope" in letters[0].error_message
    assert letters[0].original_topic == INTERACTIONS.name


async def test_transient_failures_are_retried_then_handled_once(
    kafka_settings: KafkaSettings, producer: EventProducer, unique: str
) -> None:
    recorder = Recorder(fail=lambda text, n: RuntimeError("flaky") if n < 3 else None)
    await producer.publish(INTERACTIONS.name, event("flaky"))
    runner = make_runner(kafka_settings, producer, recorder, group=f"g-{unique}")
    await run_until(runner, lambda: recorder.handled == ["flaky"])

    assert recorder.attempts["flaky"] == 3
    assert await dlq_tools.read_dead_letters(kafka_settings, INTERACTIONS.name) == []


async def test_failures_are_dead_lettered_after_bounded_retries_and_can_be_replayed(
    kafka_settings: KafkaSettings, producer: EventProducer, unique: str
) -> None:
    broken = {"always-fails": True, "bad-input": True}

    def fail(text: str, attempt: int) -> Exception | None:
        if not broken.get(text):
            return None
        return PermanentError("bad input") if text == "bad-input" else KeyError("bug")

    recorder = Recorder(fail=fail)
    for text in ("always-fails", "bad-input", "fine"):
        await producer.publish(INTERACTIONS.name, event(text, conversation=text))
    runner = make_runner(kafka_settings, producer, recorder, group=f"g-{unique}")
    await run_until(runner, lambda: "fine" in recorder.handled and len(recorder.attempts) == 3)
    await asyncio.sleep(0.2)

    letters = await dlq_tools.read_dead_letters(kafka_settings, INTERACTIONS.name)
    by_error = {letter.error_type: letter for letter in letters}
    assert set(by_error) == {"KeyError", "PermanentError"}
    assert recorder.attempts["always-fails"] == FAST_RETRY.max_attempts
    assert recorder.attempts["bad-input"] == 1, "permanent errors are not retried"
    attempts_header = [v for k, v in by_error["KeyError"].headers if k == "x-attempts"]
    assert attempts_header == [str(FAST_RETRY.max_attempts).encode()]

    # The bug is fixed; replay one letter by event id and the other by ref.
    broken.clear()
    first, second = letters
    assert first.event_id is not None
    chosen = dlq_tools.select(letters, [first.event_id, second.ref])
    assert len(chosen) == 2
    assert await dlq_tools.replay(producer, INTERACTIONS.name, chosen) == 2
    runner = make_runner(kafka_settings, producer, recorder, group=f"g-{unique}")
    await run_until(runner, lambda: {"always-fails", "bad-input"} <= set(recorder.handled))
    assert sorted(recorder.handled) == ["always-fails", "bad-input", "fine"]


async def test_order_is_kept_per_key_while_keys_run_concurrently(
    kafka_settings: KafkaSettings, producer: EventProducer, unique: str
) -> None:
    conversations = [f"conv-{i}" for i in range(5)]
    sent = [event(f"{conv}#{n}", conversation=conv) for n in range(30) for conv in conversations]
    await producer.publish_many(INTERACTIONS.name, sent)
    in_flight = 0
    peak = 0
    seen: defaultdict[str, list[int]] = defaultdict(list)

    async def handler(delivery: Delivery) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(random.uniform(0, 0.004))
        conv, n = text_of(delivery).split("#")
        seen[conv].append(int(n))
        in_flight -= 1

    def conversation_key(e: Envelope[Any]) -> str:
        return str(e.data.conversation_key)

    runner = make_runner(
        kafka_settings, producer, handler, group=f"g-{unique}", order_key=conversation_key
    )
    await run_until(runner, lambda: sum(map(len, seen.values())) == len(sent))

    for conv in conversations:
        assert seen[conv] == list(range(30)), f"{conv} out of order"
    assert peak > 1, "different keys of a batch should be handled concurrently"


async def test_offsets_are_committed_only_after_the_handler_succeeds(
    kafka_settings: KafkaSettings, producer: EventProducer, unique: str
) -> None:
    group = f"g-{unique}"
    await producer.publish(INTERACTIONS.name, event("first"))
    recorder = Recorder()
    await run_until(
        make_runner(kafka_settings, producer, recorder, group=group),
        lambda: recorder.handled == ["first"],
    )

    # A crash in the middle of handling "second": the task dies before committing.
    await producer.publish(INTERACTIONS.name, event("second"))
    entered = asyncio.Event()

    async def hangs(delivery: Delivery) -> None:
        entered.set()
        await asyncio.sleep(3600)

    crashing = make_runner(kafka_settings, producer, hangs, group=group)
    task = asyncio.create_task(crashing.run())
    await asyncio.wait_for(entered.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    # A new member of the group gets "second" again, and not "first".
    again = Recorder()
    await run_until(
        make_runner(kafka_settings, producer, again, group=group),
        lambda: again.handled == ["second"],
    )
    await asyncio.sleep(0.5)
    assert again.handled == ["second"]


async def test_stop_drains_the_batch_in_hand_and_commits_it(
    kafka_settings: KafkaSettings, producer: EventProducer, unique: str
) -> None:
    group = f"g-{unique}"
    await producer.publish_many(INTERACTIONS.name, [event(f"m{i}") for i in range(20)])
    started = asyncio.Event()
    handled: list[str] = []

    async def slow(delivery: Delivery) -> None:
        started.set()
        await asyncio.sleep(0.02)
        handled.append(text_of(delivery))

    runner = make_runner(kafka_settings, producer, slow, group=group)
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(started.wait(), 30)
    runner.stop()
    await asyncio.wait_for(task, 30)
    assert handled, "the batch in hand is finished, not dropped"

    rest = Recorder()
    await run_until(
        make_runner(kafka_settings, producer, rest, group=group),
        lambda: len(handled) + len(rest.handled) >= 20,
    )
    await asyncio.sleep(0.5)
    assert sorted(handled + rest.handled) == sorted(f"m{i}" for i in range(20))


async def test_a_failing_group_is_handled_again_one_message_at_a_time(
    kafka_settings: KafkaSettings, producer: EventProducer, unique: str
) -> None:
    """A group handler (one store write for a batch) that fails is not retried whole
    and dead-lettered whole: each message goes through the single handler, so only
    the bad one is dead-lettered."""
    for text in ("first", "poison", "last"):
        await producer.publish(INTERACTIONS.name, event(text))
    groups: list[list[str]] = []
    stored: list[str] = []

    async def all_or_nothing(group: list[Delivery]) -> list[tuple[Delivery, Exception]]:
        texts = [text_of(d) for d in group]
        groups.append(texts)
        if "poison" in texts:
            raise RuntimeError("one message of the batch cannot be stored")
        stored.extend(texts)
        return []

    single = Recorder(fail=lambda text, n: PermanentError("bad") if text == "poison" else None)
    runner = ConsumerRunner(
        settings=kafka_settings,
        topics=[INTERACTIONS.name],
        group_id=f"g-{unique}",
        handler=single,
        group_handler=all_or_nothing,
        producer=producer,
        retry=FAST_RETRY,
    )
    await run_until(runner, lambda: sorted(stored + single.handled) == ["first", "last"])

    assert "poison" in single.attempts  # handled alone after its group failed
    assert all(group.count("poison") <= 1 for group in groups)
    assert len([group for group in groups if "poison" in group]) == 1  # tried as a group once
    letters = await dlq_tools.read_dead_letters(kafka_settings, INTERACTIONS.name)
    assert [letter.error_type for letter in letters] == ["PermanentError"]


SMALL_LIMIT = 20_000


async def small_producer(settings: KafkaSettings) -> EventProducer:
    limited = EventProducer(settings.model_copy(update={"max_event_bytes": SMALL_LIMIT}))
    await limited.start()
    return limited


async def test_an_event_over_the_limit_is_refused_for_good_and_an_exact_fit_is_sent(
    kafka_settings: KafkaSettings,
) -> None:
    limited = await small_producer(kafka_settings)
    try:
        with pytest.raises(EventRefused) as refused:
            await limited.send_raw_many(INTERACTIONS.name, [(b"k", b"x" * (SMALL_LIMIT + 1), [])])
        assert refused.value.too_large
        assert isinstance(refused.value, PermanentError)  # never waited out as an outage
        await limited.send_raw_many(INTERACTIONS.name, [(b"k", b"x" * SMALL_LIMIT, [])])
    finally:
        await limited.stop()


async def test_a_handler_whose_output_is_refused_fails_alone_and_the_stream_goes_on(
    kafka_settings: KafkaSettings, producer: EventProducer, unique: str
) -> None:
    """The oversized-reply jam: a handler announcing something the broker will never
    take is dead-lettered at once with the reason, not retried as a broker outage."""
    limited = await small_producer(kafka_settings)
    handled: list[str] = []

    async def announce(delivery: Delivery) -> None:
        text = text_of(delivery)
        size = SMALL_LIMIT if text == "huge" else 10
        await limited.publish(ROUTING.name, event("y" * size))
        handled.append(text)

    for text in ("before", "huge", "after"):
        await producer.publish(INTERACTIONS.name, event(text))
    runner = make_runner(kafka_settings, limited, announce, group=f"g-{unique}")
    try:
        await run_until(runner, lambda: handled == ["before", "after"], timeout=20)
    finally:
        await limited.stop()
    (letter,) = await dlq_tools.read_dead_letters(kafka_settings, INTERACTIONS.name)
    assert letter.error_type == "EventRefused"
    assert letter.error_message is not None
    assert "over the limit" in letter.error_message
    assert [v for k, v in letter.headers if k == "x-attempts"] == [b"1"]


async def test_a_dead_letter_too_large_to_keep_keeps_its_headers_without_the_value(
    kafka_settings: KafkaSettings, producer: EventProducer, unique: str
) -> None:
    big = event("z" * (SMALL_LIMIT + 500))
    await producer.publish(INTERACTIONS.name, big)
    await producer.publish(INTERACTIONS.name, event("small"))
    limited = await small_producer(kafka_settings)
    seen: list[str] = []

    async def refuse(delivery: Delivery) -> None:
        seen.append(text_of(delivery)[:5])
        raise PermanentError("not for us")

    runner = make_runner(kafka_settings, limited, refuse, group=f"g-{unique}")
    try:
        await run_until(runner, lambda: len(seen) == 2)
        await asyncio.sleep(0.5)
    finally:
        await limited.stop()
    letters = await dlq_tools.read_dead_letters(kafka_settings, INTERACTIONS.name)
    assert len(letters) == 2
    large = next(letter for letter in letters if letter.event_id == str(big.id))
    small = next(letter for letter in letters if letter.event_id != str(big.id))
    assert large.value == b""
    (note,) = [v for k, v in large.headers if k == VALUE_OMITTED_HEADER]
    assert note.startswith(b"%d bytes omitted" % len(encode_event(big)))
    assert large.error_message == "not for us"  # why it failed is kept
    assert small.value != b""  # only the letter that did not fit lost its value
