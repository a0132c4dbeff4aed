"""Live updates over server-sent events, through the real broker: agents see their own
offers and cases, supervisors the tenant's, nobody another tenant's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import pytest

from cc_common.auth import Role
from cc_common.events import (
    Channel,
    Envelope,
    RoutingChange,
    TaskState,
    routing_event_type,
    utc_now,
)
from cc_common.topics import ROUTING
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


class Listener:
    """One SSE connection, its events collected in the background."""

    def __init__(self, api: CaseApi, headers: dict[str, str]) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.status: int | None = None
        self._task = asyncio.create_task(self._listen(api, headers))

    async def _listen(self, api: CaseApi, headers: dict[str, str]) -> None:
        async with api.client.stream("GET", "/v1/events", headers=headers, timeout=None) as r:
            self.status = r.status_code
            name = "message"
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    self.events.append((name, json.loads(line[6:])))
                    name = "message"

    def changes(self, case_id: str) -> list[str]:
        return [
            data["data"]["change"]
            for name, data in self.events
            if name == "case.changed" and data["data"]["case_id"] == case_id
        ]

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def test_agents_and_supervisors_see_what_is_theirs_and_only_that(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    conversation = f"chat:{address}"
    await api.publish(message("acme", conversation, [email_identity(address)]))
    customer = await api.customer_of("acme", f"email:{address}")
    case_id = (await api.cases_of("acme", customer["id"]))[0]["id"]

    ana = Listener(api, api.auth("acme", Role.AGENT, subject="ana"))
    bob = Listener(api, api.auth("acme", Role.AGENT, subject="bob"))
    lead = Listener(api, api.auth("acme", Role.SUPERVISOR, subject="lead"))
    outsider = Listener(api, api.auth("other", Role.SUPERVISOR, subject="eve"))
    try:
        # The fan-out consumer starts at the latest offset: note until the lead sees one.
        async def live() -> bool:
            note = await api.client.post(
                f"/v1/cases/{case_id}/notes", json={"text": "probe"}, headers=api.auth("acme")
            )
            assert note.status_code == 201
            await asyncio.sleep(0.5)
            return bool(lead.changes(case_id))

        await eventually(live, timeout=30, what="the live stream flowing")
        assert ana.status == 200
        current = await api.client.get(f"/v1/cases/{case_id}", headers=api.auth("acme"))
        assigned = await api.client.patch(
            f"/v1/cases/{case_id}",
            json={"assignee_id": "ana"},
            headers={**api.auth("acme", subject="lead"), "If-Match": current.headers["ETag"]},
        )
        assert assigned.status_code == 200, assigned.text
        await api.publish(message("acme", conversation, [email_identity(address)], text="hi"))
        await api.producer.publish(
            ROUTING.name,
            Envelope[RoutingChange](
                id=uuid.uuid4(),
                type=routing_event_type(TaskState.OFFERED),
                tenant_id="acme",
                occurred_at=utc_now(),
                source="test",
                data=RoutingChange(
                    task_id=uuid.uuid4(),
                    interaction_id=uuid.uuid4(),
                    conversation_key=conversation,
                    channel=Channel.WEBCHAT,
                    state=TaskState.OFFERED,
                    queue="general",
                    agent_id="ana",
                ),
            ),
        )

        async def ana_saw_everything() -> bool:
            offers = [d for n, d in ana.events if n == "task"]
            return ana.changes(case_id)[-2:] == ["case.assigned", "message"] and bool(offers)

        await eventually(ana_saw_everything, timeout=20, what="ana's live events")
        (offer,) = [d for n, d in ana.events if n == "task"]
        assert offer["data"]["agent_id"] == "ana"
        message_event = next(
            d for n, d in ana.events if n == "case.changed" and d["data"]["change"] == "message"
        )
        assert message_event["data"]["summary"] == "hi"
        assert message_event["data"]["actor"] is None
        assert "note" not in ana.changes(case_id)  # notes came before she was assigned
        assert {"case.assigned", "message", "note"} <= set(lead.changes(case_id))
        assert [n for n, _ in lead.events if n == "task"] == ["task"]
        assert bob.events == []
        assert outsider.events == []
    finally:
        for listener in (ana, bob, lead, outsider):
            await listener.close()


async def test_a_stream_needs_a_token(api: CaseApi) -> None:
    response = await api.client.get("/v1/events")
    assert response.status_code == 401


async def frames(
    api: CaseApi, headers: dict[str, str], *, until: int, seconds: float = 20.0
) -> list[dict[str, str]]:
    """Read SSE frames (id, event, data) until ``until`` have come or time is up."""
    found: list[dict[str, str]] = []
    with contextlib.suppress(TimeoutError):
        async with (
            asyncio.timeout(seconds),
            api.client.stream("GET", "/v1/events", headers=headers, timeout=None) as response,
        ):
            frame: dict[str, str] = {}
            async for line in response.aiter_lines():
                if not line:
                    if "data" in frame:
                        found.append(frame)
                        if len(found) >= until:
                            return found
                    frame = {}
                elif not line.startswith(":") and ": " in line:
                    field, value = line.split(": ", 1)
                    frame[field] = value
    return found


async def test_a_reconnect_with_last_event_id_gets_what_it_missed(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    await api.publish(message("acme", f"chat:{address}", [email_identity(address)]))
    customer = await api.customer_of("acme", f"email:{address}")
    case_id = (await api.cases_of("acme", customer["id"]))[0]["id"]
    lead = api.auth("acme", Role.SUPERVISOR, subject="lead")

    async def note(text: str) -> None:
        response = await api.client.post(
            f"/v1/cases/{case_id}/notes", json={"text": text}, headers=api.auth("acme")
        )
        assert response.status_code == 201

    # The fan-out starts at the latest offset: connect, then note until one arrives.
    async def first_seen() -> dict[str, str] | None:
        reading = asyncio.create_task(frames(api, lead, until=1, seconds=3))
        await asyncio.sleep(0.3)
        await note("before the drop")
        seen = [f for f in await reading if f.get("event") == "case.changed"]
        return seen[0] if seen else None

    last = await eventually(first_seen, timeout=30, what="the live stream flowing")
    # Disconnected: two notes are missed, then the client comes back with its last id.
    await note("missed one")
    await note("missed two")

    async def both_missed_are_kept() -> list[str] | None:
        replayed = await frames(api, {**lead, "Last-Event-ID": last["id"]}, until=10, seconds=1.5)
        summaries = [
            json.loads(f["data"])["data"]["summary"]
            for f in replayed
            if f.get("event") == "case.changed"
            and json.loads(f["data"])["data"]["case_id"] == case_id
        ]
        return summaries if {"missed one", "missed two"} <= set(summaries) else None

    summaries = await eventually(both_missed_are_kept, timeout=20, what="the replay")
    assert "before the drop" not in summaries[-2:]  # the replay goes forward from there

    unknown = await frames(api, {**lead, "Last-Event-ID": str(uuid.uuid4())}, until=1, seconds=5)
    assert unknown[0]["event"] == "gap"
    other_tenant = api.auth("other", Role.SUPERVISOR, subject="eve")
    foreign = await frames(api, {**other_tenant, "Last-Event-ID": last["id"]}, until=5, seconds=1.5)
    assert [f for f in foreign if f.get("event") == "case.changed"] == []
