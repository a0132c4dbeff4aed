"""The shared outbox relay over timeline entries: a reply stored while the broker could
not take its request is published later, once; poison is set aside; entries written in
the earlier layout are still published after an upgrade (real broker and database)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest

from case_service.adapters.case_moves import CaseMoveStore
from case_service.adapters.cases import CaseRepository
from case_service.adapters.timeline import TimelineRepository
from case_service.domain.model import Case
from case_service.domain.replies import reply_entry, reply_request
from case_service.service.case_desk import CaseDesk
from cc_common.auth import Role
from cc_common.events import CaseChanged, Content, Envelope, OutboundRequested, utc_now
from cc_common.events.owed import EVENTS, Owed, owing
from cc_common.kafka.inspect import read_events
from cc_common.kafka.producer import EventProducer
from cc_common.metrics import OUTBOX_BEHIND, OUTBOX_QUARANTINED
from cc_common.mongo import make_mongo_client
from cc_common.outbox import OutboxRelay
from cc_common.principals import Principal
from cc_common.settings import KafkaSettings, MongoSettings
from cc_common.topics import CASES, OUTBOUND
from tests.e2e.helpers import eventually
from tests.integration.case_api import case_api, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def replies(case_id: str, *texts: str) -> list[Envelope[OutboundRequested]]:
    """An agent's reply requests, one per text, on an email case of customer c1."""
    case = Case(
        id=case_id,
        tenant_id="acme",
        customer_id="c1",
        channel="email",
        conversation_key=f"email:<{case_id}@example.org>",
        opened_at=utc_now(),
        reply_to={"kind": "email", "value": "sam@example.org"},
    )
    return [
        reply_request(
            case,
            tenant_id="acme",
            agent_id="emi",
            reply_id=uuid.uuid4(),
            content=Content(text=text),
            at=utc_now(),
        )
        for text in texts
    ]


def owing_reply(
    event: Envelope[OutboundRequested], content_hash: str, *, age: timedelta = timedelta()
) -> dict[str, Any]:
    """A reply's entry owing its request, written ``age`` ago."""
    entry = reply_entry(event, customer_id="c1", content_hash=content_hash)
    entry["recorded_at"] = utc_now() - age
    return {**entry, **owing([Owed(OUTBOUND.name, event)], since=entry["recorded_at"])}


async def test_a_reply_held_back_by_an_outage_is_published_once_by_the_relay(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> None:
    client = make_mongo_client(mongo_settings, app_name="outbox-test")
    timeline = TimelineRepository(client[f"outbox{unique}"])
    held, fresh = replies("case-1", "held back by an outage", "just stored")
    await timeline.create_reply(owing_reply(held, "h1", age=timedelta(minutes=1)))
    await timeline.create_reply(owing_reply(fresh, "h2"))
    producer = EventProducer(kafka_settings)
    await producer.start()
    relay = OutboxRelay(stores=[timeline.outbox], producer=producer, interval_seconds=0.2)
    running = asyncio.create_task(relay.run())
    try:

        async def published() -> list[OutboundRequested]:
            events = await read_events(kafka_settings, OUTBOUND.name)
            return [e.data for e in events if e.id in (held.id, fresh.id)]

        (sent,) = await eventually(published, what="the held-back reply on cc.outbound.v1")
        assert sent.reply_id == held.data.reply_id, "only what waited past the grace period"
        await asyncio.sleep(1)  # more rounds: nothing is published twice
        assert len(await published()) == 1
        still_owing = await timeline.outbox.due(utc_now(), 100)
        assert [doc["_id"] for doc in still_owing] == [str(fresh.data.reply_id)]
        sent_entry = await client[f"outbox{unique}"]["timeline"].find_one(
            {"_id": str(held.data.reply_id)}
        )
        assert sent_entry is not None
        assert EVENTS not in sent_entry, "a sent copy is dropped"
    finally:
        relay.stop()
        await running
        await producer.stop()
        await client.close()


async def test_a_poison_entry_is_quarantined_and_the_relay_goes_on(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> None:
    """An entry the broker will never take (over the event limit) and one that cannot
    even be read are set aside with the reason, their replies failed; the next is sent."""
    client = make_mongo_client(mongo_settings, app_name="outbox-test")
    timeline = TimelineRepository(client[f"outbox{unique}"])
    huge, unreadable, fine = replies("case-2", "x" * 30_000, "broken outbox copy", "fine")
    for n, event in enumerate((huge, unreadable, fine)):
        entry = owing_reply(event, f"h{n}", age=timedelta(minutes=1))
        if event is unreadable:
            entry[EVENTS][0]["event"] = {"id": "not an event"}
        await timeline.create_reply(entry)
    limited = kafka_settings.model_copy(update={"max_event_bytes": 20_000})
    producer = EventProducer(limited)
    await producer.start()
    quarantined = OUTBOX_QUARANTINED.labels(timeline.outbox.name)
    quarantined_before = quarantined._value.get()
    relay = OutboxRelay(stores=[timeline.outbox], producer=producer, interval_seconds=0.05)
    running = asyncio.create_task(relay.run())
    try:

        async def published() -> list[OutboundRequested]:
            events = await read_events(kafka_settings, OUTBOUND.name)
            return [e.data for e in events if e.id in (huge.id, unreadable.id, fine.id)]

        (sent,) = await eventually(published, what="the fine reply on cc.outbound.v1")
        assert sent.reply_id == fine.data.reply_id

        async def settled() -> bool:
            return await timeline.outbox.due(utc_now(), 100) == []

        await eventually(settled, what="nothing left in the outbox")
        for poison in (huge, unreadable):
            failed = await timeline.get("acme", str(poison.data.reply_id))
            assert failed is not None
            assert failed["reply"]["status"] == "failed"
            assert "could not be handed to its channel" in failed["reply"]["error"]
        stored = await client[f"outbox{unique}"]["timeline"].find_one(
            {"_id": str(huge.data.reply_id)}
        )
        assert stored is not None
        assert "over the limit" in stored["outbox_quarantined"]["reason"]
        # What operations watch: two set aside, nothing left behind.
        assert quarantined._value.get() - quarantined_before == 2
        await relay.relay_once()
        assert OUTBOX_BEHIND.labels(timeline.outbox.name)._value.get() == 0
    finally:
        relay.stop()
        await running
        await producer.stop()
        await client.close()


class ProcessKilled(BaseException):
    """Stands for SIGKILL: the request's task ends where it is, nothing runs after."""


class DiesBeforeAnnouncing:
    """Announcements of a process killed after its write, before its publish."""

    async def owed(self, owed: Any) -> bool:
        raise ProcessKilled

    async def case_changed(self, *args: Any, **kwargs: Any) -> None:
        raise ProcessKilled

    async def typing(self, *args: Any, **kwargs: Any) -> None:
        raise ProcessKilled

    async def presence(self, *args: Any, **kwargs: Any) -> None:
        raise ProcessKilled


async def test_a_change_whose_process_died_before_announcing_is_announced_once_after(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> None:
    """The note is written with its case.changed in the same document; the process
    dies before publishing; the running service's relay (a restarted process) finds it
    and publishes it, once."""
    async with case_api(kafka_settings, mongo_settings, unique) as api:
        address = f"{uuid.uuid4().hex[:8]}@example.org"
        await api.publish(message("acme", f"chat:{address}", [email_identity(address)]))
        customer = await api.customer_of("acme", f"email:{address}")
        case_id = (await api.cases_of("acme", customer["id"]))[0]["id"]
        client = make_mongo_client(mongo_settings, app_name="outbox-test")
        db = client[api.settings.database]
        dying = CaseDesk(
            cases=CaseRepository(db),
            timeline=TimelineRepository(db),
            moves=CaseMoveStore(db),
            announcements=DiesBeforeAnnouncing(),
        )
        agent = Principal(subject="emi", tenant_id="acme", roles=frozenset({Role.AGENT}))
        try:
            with pytest.raises(ProcessKilled):
                await dying.add_note(agent, case_id, "written, then the process died")
            stored = await db["timeline"].find_one({"summary": "written, then the process died"})
            assert stored is not None
            assert stored["outbox_pending"] is True

            async def announced() -> list[Envelope[Any]] | None:
                events = await read_events(kafka_settings, CASES.name)
                found = [
                    e
                    for e in events
                    if isinstance(e.data, CaseChanged) and e.data.entry_id == stored["_id"]
                ]
                return found or None

            (event,) = await eventually(announced, timeout=30, what="the relayed case.changed")
            assert event.data.actor == "emi"
            assert event.data.change == "note"

            async def cleared() -> bool:
                entry = await db["timeline"].find_one({"_id": stored["_id"]})
                return entry is not None and "outbox_pending" not in entry

            await eventually(cleared, timeout=15, what="the outbox flag cleared")
            await asyncio.sleep(3)  # more relay rounds: it is not published again
            assert len(await announced() or []) == 1
        finally:
            await client.close()


async def test_entries_owing_in_the_earlier_layout_are_published_after_an_upgrade(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> None:
    """A reply stored by the release before the shared outbox (its request in
    ``outbox``, its announcement in ``announce``, no ``since``) is not lost by the
    upgrade: both events are published, in order, and the copies dropped."""
    client = make_mongo_client(mongo_settings, app_name="outbox-test")
    timeline = TimelineRepository(client[f"outbox{unique}"])
    (request,) = replies("case-3", "written by the earlier release")
    entry = reply_entry(request, customer_id="c1", content_hash="h1")
    announcement = Envelope[CaseChanged](
        id=uuid.uuid4(),
        occurred_at=utc_now(),
        type="case.changed",
        tenant_id="acme",
        source="case",
        data=CaseChanged(
            case_id="case-3",
            customer_id="c1",
            entry_id=entry["_id"],
            change="message",
            channel="email",
            status="open",
        ),
    )
    entry |= {
        "outbox": request.model_dump(mode="json"),
        "announce": announcement.model_dump(mode="json"),
        "outbox_pending": True,
    }
    await timeline.create_reply(entry)
    producer = EventProducer(kafka_settings)
    await producer.start()
    try:
        assert await timeline.outbox.upgrade() == 1
        relay = OutboxRelay(stores=[timeline.outbox], producer=producer)
        assert await relay.relay_once() == 1
        sent = await read_events(kafka_settings, OUTBOUND.name)
        assert [e.id for e in sent if e.id == request.id] == [request.id]
        changes = await read_events(kafka_settings, CASES.name)
        assert [e.id for e in changes if e.id == announcement.id] == [announcement.id]
        stored = await client[f"outbox{unique}"]["timeline"].find_one({"_id": entry["_id"]})
        assert stored is not None
        assert not {"outbox", "announce", "outbox_pending", "outbox_since"} & stored.keys()
        assert await relay.relay_once() == 0
    finally:
        await producer.stop()
        await client.close()
