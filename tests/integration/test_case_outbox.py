"""The outbox relay: a reply stored while the broker could not take its request is
published later, once, by the relay (real broker and database)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest

from case_service.adapters.case_moves import CaseMoveStore
from case_service.adapters.cases import CaseRepository
from case_service.adapters.timeline import TimelineRepository
from case_service.consumers.outbox import OutboxRelay
from case_service.domain.model import Case
from case_service.domain.replies import reply_entry, reply_request
from case_service.metrics import OUTBOX_BEHIND, OUTBOX_QUARANTINED
from case_service.service.case_desk import CaseDesk
from cc_common.auth import Role
from cc_common.events import CaseChanged, Content, Envelope, OutboundRequested, utc_now
from cc_common.kafka.inspect import read_events
from cc_common.kafka.producer import EventProducer
from cc_common.mongo import make_mongo_client
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


async def test_a_reply_held_back_by_an_outage_is_published_once_by_the_relay(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> None:
    client = make_mongo_client(mongo_settings, app_name="outbox-test")
    timeline = TimelineRepository(client[f"outbox{unique}"])
    held, fresh = replies("case-1", "held back by an outage", "just stored")
    old = reply_entry(held, customer_id="c1", content_hash="h1")
    old["recorded_at"] = utc_now() - timedelta(minutes=1)
    await timeline.create_reply(old)
    await timeline.create_reply(reply_entry(fresh, customer_id="c1", content_hash="h2"))
    producer = EventProducer(kafka_settings)
    await producer.start()
    relay = OutboxRelay(outbox=timeline, producer=producer, interval_seconds=0.2)
    running = asyncio.create_task(relay.run())
    try:

        async def published() -> list[OutboundRequested]:
            events = await read_events(kafka_settings, OUTBOUND.name)
            return [e.data for e in events if e.id in (held.id, fresh.id)]

        (sent,) = await eventually(published, what="the held-back reply on cc.outbound.v1")
        assert sent.reply_id == held.data.reply_id, "only what waited past the grace period"
        await asyncio.sleep(1)  # more rounds: nothing is published twice
        assert len(await published()) == 1
        assert await timeline.outbox_pending(utc_now()) == [
            {"_id": str(fresh.data.reply_id), "outbox": fresh.model_dump(mode="json")}
        ]
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
        entry = reply_entry(event, customer_id="c1", content_hash=f"h{n}")
        entry["recorded_at"] = utc_now() - timedelta(minutes=1)
        if event is unreadable:
            entry["outbox"] = {"id": "not an event"}
        await timeline.create_reply(entry)
    limited = kafka_settings.model_copy(update={"max_event_bytes": 20_000})
    producer = EventProducer(limited)
    await producer.start()
    quarantined_before = OUTBOX_QUARANTINED._value.get()
    relay = OutboxRelay(outbox=timeline, producer=producer, interval_seconds=0.05)
    running = asyncio.create_task(relay.run())
    try:

        async def published() -> list[OutboundRequested]:
            events = await read_events(kafka_settings, OUTBOUND.name)
            return [e.data for e in events if e.id in (huge.id, unreadable.id, fine.id)]

        (sent,) = await eventually(published, what="the fine reply on cc.outbound.v1")
        assert sent.reply_id == fine.data.reply_id

        async def settled() -> bool:
            return await timeline.outbox_pending(utc_now()) == []

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
        assert OUTBOX_QUARANTINED._value.get() - quarantined_before == 2
        await relay.relay_once()
        assert OUTBOX_BEHIND._value.get() == 0
    finally:
        relay.stop()
        await running
        await producer.stop()
        await client.close()


class ProcessKilled(BaseException):
    """Stands for SIGKILL: the request's task ends where it is, nothing runs after."""


class DiesBeforeAnnouncing:
    """Announcements of a process killed after its write, before its publish."""

    async def stored_announcement(self, event: Envelope[Any]) -> bool:
        raise ProcessKilled

    async def reply_requested(self, event: Envelope[Any]) -> bool:
        raise ProcessKilled

    async def case_changed(self, *args: Any, **kwargs: Any) -> None:
        raise ProcessKilled

    async def typing(self, *args: Any, **kwargs: Any) -> None:
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
