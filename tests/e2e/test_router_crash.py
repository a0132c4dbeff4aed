"""kill -9 the router mid-stream: no task lost or doubled, no agent over capacity, and
the same outcome as a run without the crash."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter, defaultdict
from typing import Any

import httpx
import pytest

from cc_common.auth import Role
from cc_common.events import RoutingChange, TaskState
from cc_common.kafka.inspect import read_events
from cc_common.topics import ROUTING
from contactcenter_cli.stack import Stack
from tests.e2e.conftest import token
from tests.e2e.helpers import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

AGENTS = ("ana", "bo", "chie")
CHATS_PER_AGENT = 2
CONVERSATIONS = 60
RELEASING = {
    TaskState.REJECTED,
    TaskState.TIMED_OUT,
    TaskState.COMPLETED,
    TaskState.ABANDONED,
    TaskState.TRANSFERRED,
    TaskState.ESCALATED,
}


async def drive(stack: Stack, tenant: str, *, crash_after: int | None, seed: int) -> dict[str, Any]:
    """Configure agents, send a shuffled mix of chats and hang-ups, optionally crash."""
    rng = random.Random(seed)
    supervisor = {"Authorization": f"Bearer {token(stack, tenant, Role.SUPERVISOR)}"}
    async with httpx.AsyncClient(timeout=30) as client:
        for agent in AGENTS:
            response = await client.put(
                f"{stack.url('router')}/v1/agents/{agent}",
                json={"agent_id": agent, "capacity": {"chat": CHATS_PER_AGENT}, "max_total": 2},
                headers=supervisor,
            )
            assert response.status_code == 202, response.text
            response = await client.put(
                f"{stack.url('case')}/v1/agents/me/presence",
                json={"presence": "available"},
                headers={
                    "Authorization": f"Bearer {token(stack, tenant, Role.AGENT, subject=agent)}"
                },
            )
            assert response.status_code == 202
        chats = []
        for i in range(CONVERSATIONS):
            response = await client.post(
                f"{stack.url('ingest-chat')}/v1/webchat/conversations",
                json={"tenant_id": tenant, "email": f"c{i}@example.com"},
            )
            chats.append(response.raise_for_status().json())
        order = list(range(CONVERSATIONS))
        rng.shuffle(order)
        for sent, i in enumerate(order):
            if sent == crash_after:
                stack.services["router"].kill()
                await asyncio.to_thread(stack.start_service, "router")
            response = await client.post(
                f"{stack.url('ingest-chat')}/v1/webchat/messages",
                json={"client_message_id": "m1", "text": f"hello {i}"},
                headers={"Authorization": f"Bearer {chats[i]['token']}"},
            )
            assert response.status_code == 202

        async def settled() -> list[dict[str, Any]] | None:
            response = await client.get(f"{stack.url('router')}/v1/queues", headers=supervisor)
            if response.status_code != 200:
                return None
            rows: list[dict[str, Any]] = response.json()
            messaging = next(r for r in rows if r["queue"] == "messaging")
            expected_waiting = CONVERSATIONS - len(AGENTS) * CHATS_PER_AGENT
            return rows if messaging["waiting"] == expected_waiting else None

        rows = await eventually(settled, timeout=90, what="every chat queued or offered")
    return {row["queue"]: row for row in rows}


def check_routing_stream(changes: list[RoutingChange]) -> None:
    queued = Counter(c.task_id for c in changes if c.state is TaskState.QUEUED)
    assert len(queued) == CONVERSATIONS, "a task per conversation, none lost"
    assert set(queued.values()) == {1}, "no task queued twice"
    load: defaultdict[str, int] = defaultdict(int)
    holder: dict[uuid.UUID, str] = {}
    for change in changes:
        if change.state is TaskState.OFFERED and change.agent_id:
            load[change.agent_id] += 1
            holder[change.task_id] = change.agent_id
            assert load[change.agent_id] <= CHATS_PER_AGENT, f"{change.agent_id} over capacity"
        elif change.state in RELEASING and change.task_id in holder:
            load[holder.pop(change.task_id)] -= 1
    assert sum(load.values()) == len(AGENTS) * CHATS_PER_AGENT


async def test_a_crashed_router_resumes_with_nothing_lost_doubled_or_overbooked(
    stack: Stack,
) -> None:
    calm, crashed = f"t{uuid.uuid4().hex[:8]}", f"t{uuid.uuid4().hex[:8]}"
    without_crash = await drive(stack, calm, crash_after=None, seed=11)
    crash_point = random.Random().randint(5, CONVERSATIONS - 5)
    with_crash = await drive(stack, crashed, crash_after=crash_point, seed=11)

    for stats in (without_crash, with_crash):
        messaging = stats["messaging"]
        assert messaging["offered"] == len(AGENTS) * CHATS_PER_AGENT
        assert messaging["agents_available"] == 0
    for field in ("waiting", "offered", "answered", "abandoned"):
        assert with_crash["messaging"][field] == without_crash["messaging"][field], field

    events = await read_events(stack.config.kafka_settings(), ROUTING.name)
    for tenant in (calm, crashed):
        unique: dict[uuid.UUID, RoutingChange] = {}
        for event in events:
            if event.tenant_id == tenant and isinstance(event.data, RoutingChange):
                unique.setdefault(event.id, event.data)  # re-announcements share an id
        check_routing_stream(list(unique.values()))
