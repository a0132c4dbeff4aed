"""Agents at work during the resilience run. Each polls its tasks through the case API,
accepts offers, answers mail and web-chat conversations, and completes the task (every
fourth it transfers to a colleague instead, who then does the same). Every call is
retried with the same Idempotency-Key until it is answered, as a desk would, so a kill
costs time, never a second reply.

Afterwards each reply is accounted for: its status on the customer's timeline (sent,
failed, or stuck pending) and how many copies reached the customer (the mail sink's
messages, the web-chat visitor's messages).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx

from contactcenter_cli.case_client import full_timeline
from contactcenter_cli.stack import Stack

REPLY_CHANNELS = ("email", "webchat")
"""Channels the run's agents answer on (its LINE channel has no reachable API)."""
POLL_SECONDS = 1.0
GIVE_UP_SECONDS = 90.0
TRANSFER_EVERY = 4


@dataclass
class Reply:
    channel: str
    customer_id: str


@dataclass
class DeskLedger:
    """What the agents did."""

    actions: Counter[str] = field(default_factory=Counter)
    """accept, complete, transfer: acknowledged by the API (202)."""
    refused: Counter[str] = field(default_factory=Counter)
    """Actions the router or the API refused for good (4xx): the task moved on."""
    retries: int = 0
    unanswered: int = 0
    """Calls that got no answer for GIVE_UP_SECONDS (the agent moved on)."""
    replies: dict[str, Reply] = field(default_factory=dict)
    """reply id -> where it went."""


class Unanswered(Exception):
    """The API did not answer in time (the service was down all along)."""


class AgentDesk:
    def __init__(
        self, stack: Stack, client: httpx.AsyncClient, token_for: Callable[[str], str]
    ) -> None:
        self._case = stack.url("case")
        self._client = client
        self._token_for = token_for
        self.ledger = DeskLedger()
        self._handled = 0

    async def work(self, agents: Sequence[str], until: asyncio.Event) -> None:
        """Every agent works until ``until`` is set, then finishes what it holds."""
        await asyncio.gather(*(self._agent(agent, agents, until) for agent in agents))

    async def _agent(self, agent: str, everyone: Sequence[str], until: asyncio.Event) -> None:
        headers = {"Authorization": f"Bearer {self._token_for(agent)}"}
        done: set[str] = set()
        offers: Counter[str] = Counter()
        colleague = everyone[(everyone.index(agent) + 1) % len(everyone)]
        while not until.is_set():
            try:
                response = await self._client.get(
                    f"{self._case}/v1/agents/me/tasks", headers=headers
                )
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 200:
                for task in response.json()["tasks"]:
                    if task["state"] == "offered":
                        done.discard(task["task_id"])
                    if task["task_id"] in done:
                        continue
                    try:
                        if task["state"] == "offered":
                            # A task can come back (transferred back): each offer is a
                            # new accept, the same offer retried is the same one.
                            offers[task["task_id"]] += 1
                            key = f"{task['task_id']}:{offers[task['task_id']]}"
                            await self._act(headers, key, task["task_id"], {"action": "accept"})
                        elif task["state"] == "accepted" and task.get("case_id"):
                            await self._finish(headers, task, colleague)
                            done.add(task["task_id"])
                    except Unanswered:
                        self.ledger.unanswered += 1
            await asyncio.sleep(POLL_SECONDS)

    async def _finish(self, headers: dict[str, str], task: dict[str, Any], colleague: str) -> None:
        self._handled += 1
        key = f"{task['task_id']}:handled{self._handled}"
        if task["channel"] in REPLY_CHANNELS:
            body = {"text": f"chaos reply to task {task['task_id']}"}
            url = f"{self._case}/v1/cases/{task['case_id']}/replies"
            answer = await self._call(headers, url, body, key=f"reply:{key}")
            if answer is not None:
                self.ledger.replies[answer["reply_id"]] = Reply(
                    task["channel"], task["customer_id"]
                )
        if self._handled % TRANSFER_EVERY == 0:
            moved = await self._act(
                headers,
                key,
                task["task_id"],
                {"action": "transfer", "target_agent_id": colleague, "note": "chaos transfer"},
            )
            if moved:
                return
        await self._act(headers, key, task["task_id"], {"action": "complete"})

    async def _act(
        self, headers: dict[str, str], key: str, task_id: str, body: dict[str, Any]
    ) -> bool:
        url = f"{self._case}/v1/tasks/{task_id}/actions"
        answer = await self._call(headers, url, body, key=f"{key}:{body['action']}")
        return answer is not None

    async def _call(
        self, headers: dict[str, str], url: str, body: dict[str, Any], *, key: str
    ) -> dict[str, Any] | None:
        """POST until a 2xx (its body) or a 4xx (None); retries keep the same key."""
        kind = body.get("action", "reply")
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while True:
            try:
                response = await self._client.post(
                    url, json=body, headers={**headers, "Idempotency-Key": key}
                )
                if response.status_code < 300:
                    self.ledger.actions[kind] += 1
                    answer: dict[str, Any] = response.json()
                    return answer
                if 400 <= response.status_code < 500 and response.status_code != 429:
                    self.ledger.refused[kind] += 1
                    return None
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise Unanswered(f"{url} unanswered for {GIVE_UP_SECONDS:.0f} s")
            self.ledger.retries += 1
            await asyncio.sleep(0.5)


async def reply_statuses(
    client: httpx.AsyncClient, case_url: str, token: str, replies: dict[str, Reply]
) -> dict[str, str]:
    """reply id -> its status on its customer's timeline."""
    found: dict[str, str] = {}
    for customer in {r.customer_id for r in replies.values()}:
        for entry in await full_timeline(client, case_url, token, customer, page=200):
            reply = entry.get("reply")
            if reply and reply.get("reply_id") in replies:
                found[reply["reply_id"]] = reply["status"]
    return found


def mailed_copies(outbox: Path) -> Counter[str]:
    """Copies of each reply in the mail sink, by reply id (from its Message-ID)."""
    copies: Counter[str] = Counter()
    for path in outbox.glob("*.eml"):
        message_id = str(message_from_bytes(path.read_bytes()).get("Message-ID", ""))
        if message_id.startswith("<reply-"):
            copies[message_id.removeprefix("<reply-").partition("@")[0]] += 1
    return copies


async def webchat_copies(
    client: httpx.AsyncClient, chat_url: str, visitor_tokens: Sequence[str]
) -> Counter[str]:
    """Copies of each agent message in the visitors' conversations, by reply id."""
    copies: Counter[str] = Counter()
    for token in visitor_tokens:
        response = await client.get(
            f"{chat_url}/v1/webchat/messages", headers={"Authorization": f"Bearer {token}"}
        )
        response.raise_for_status()
        copies.update(message["reply_id"] for message in response.json())
    return copies
