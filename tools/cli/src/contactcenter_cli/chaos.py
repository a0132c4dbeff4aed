"""``contactcenter chaos``: steady mixed traffic while each service in turn is killed
with SIGKILL and restarted, then the database is killed and restarted over its data and
the broker is paused (SIGSTOP, SIGCONT 15 s later); then every accepted event is looked
up through the case API.

Prints, per channel, events accepted, found, duplicated and lost; per kill, how long
until the service answered ready again and until the consumers had caught up; the
highest consumer lag seen; and what the routing stream shows: conversations without a
task or with two, and any agent offered more than its capacity.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from cc_common.auth import Role, issue_token
from cc_common.events import ChannelClass, RoutingChange
from cc_common.kafka.inspect import LagProbe, read_events, read_records
from cc_common.settings import AuthSettings
from cc_common.topics import AGENTS, ALL_TOPICS, INTERACTIONS, ROUTING
from contactcenter_cli.case_client import find_customer, full_timeline
from contactcenter_cli.chaos_agents import (
    AgentDesk,
    mailed_copies,
    reply_statuses,
    webchat_copies,
)
from contactcenter_cli.chaos_checks import (
    Capacity,
    FaultTally,
    LagSample,
    ReplyTally,
    Tally,
    fault_tally,
    overbooked,
    recovery_seconds,
    reply_tally,
    tally,
    task_problems,
)
from contactcenter_cli.chaos_load import CHANNELS, TENANT, Traffic, identity, offer, stack_env
from contactcenter_cli.chaos_webhooks import (
    WebhookReceiver,
    WebhookTally,
    subscribe,
    webhook_tally,
)
from contactcenter_cli.processes import wait_for_port
from contactcenter_cli.stack import Stack, private_stack

SERVICES = ("ingest-chat", "ingest-email", "ingest-voice", "router", "case")
DATABASE_KILL = "database"
BROKER_PAUSE = "broker-pause"
FAULTS = (*SERVICES, DATABASE_KILL, BROKER_PAUSE)
"""What the run breaks, in turn: each service, the database, the broker."""
AGENTS_CAPACITY = {
    f"agent{i}": Capacity(
        {ChannelClass.CHAT: 2, ChannelClass.EMAIL: 2, ChannelClass.VOICE: 1}, total=3
    )
    for i in range(4)
}
TOKEN = re.compile(r"chaos ([0-9a-f]{32})")
CALL = re.compile(r"^call:twilio:CA([0-9a-f]{32})$")


@dataclass(frozen=True, slots=True)
class Plan:
    rate: float = 20.0
    """Events offered per second, spread over the four channels."""
    warmup: float = 10.0
    interval: float = 15.0
    """Seconds between one service's restart and the next kill."""
    customers: int = 10
    """Customers per channel."""
    services: Sequence[str] = FAULTS
    """The faults, in order: service names, ``database`` and ``broker-pause``."""
    broker_pause: float = 15.0
    settle_timeout: float = 180.0


@dataclass
class Kill:
    service: str
    killed_at: float
    ready_at: float
    caught_up_s: float | None = None

    @property
    def ready_s(self) -> float:
        return self.ready_at - self.killed_at


@dataclass
class Report:
    tallies: list[Tally]
    kills: list[Kill]
    max_lag: dict[str, int]
    tasks_lost: list[str]
    tasks_doubled: list[str]
    overbooked: list[str]
    task_states: dict[str, int]
    """Changes in the routing stream by state: offers show the capacity check had work."""
    refusals: dict[str, int]
    given_up: dict[str, int]
    settled_s: float
    offered_s: float
    replies: list[ReplyTally] = field(default_factory=list)
    faults: list[FaultTally] = field(default_factory=list)
    """The events first sent during each fault (until the next one began)."""
    lost_tokens: dict[str, list[str]] = field(default_factory=dict)
    """Per channel, the first accepted events not found (their tokens), to look up."""
    webhooks: WebhookTally | None = None
    """The integrator's endpoint: every case.changed published must arrive."""
    dead_letters: dict[str, list[str]] = field(default_factory=dict)
    """Per dead-letter topic, each record's consumer group and error."""
    lost_where: dict[str, str] = field(default_factory=dict)
    """Each lost token looked up by search: stored elsewhere (where) or not stored."""
    desk: dict[str, Any] = field(default_factory=dict)
    """What the agents did: actions acknowledged and refused, retries."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Nothing lost or doubled, no agent over capacity, every service back, every
        reply sent once and settled."""
        return (
            all(t.lost == 0 and t.duplicates == 0 for t in self.tallies)
            and all(
                r.failed == 0 and r.stuck == 0 and r.doubled == 0 and r.missing == 0
                for r in self.replies
            )
            and (self.webhooks is None or self.webhooks.lost == 0)
            and not (self.tasks_lost or self.tasks_doubled or self.overbooked)
            and not any(self.given_up.values())
            and all(k.caught_up_s is not None for k in self.kills)
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        for kill, row in zip(self.kills, data["kills"], strict=True):
            row["ready_s"] = kill.ready_s
        return data


def _token(stack: Stack, role: Role, subject: str) -> str:
    auth = AuthSettings(jwt_secret=stack.config.dev_secret())
    return issue_token(auth, subject=subject, tenant_id=TENANT, roles=[role])


def _groups(stack: Stack) -> dict[str, list[str]]:
    """The consumer groups that carry events to timelines and tasks, with their topics."""
    suffix = stack.config.topic_suffix
    return {
        f"case{suffix}": [INTERACTIONS.name, ROUTING.name],
        f"router{suffix}": [INTERACTIONS.name, AGENTS.name],
    }


async def _staff_agents(stack: Stack, client: httpx.AsyncClient) -> None:
    """Agents with room for a few chats, mails or one call, all available."""
    supervisor = {"Authorization": f"Bearer {_token(stack, Role.SUPERVISOR, 'chaos')}"}
    for agent, capacity in AGENTS_CAPACITY.items():
        response = await client.put(
            f"{stack.url('router')}/v1/agents/{agent}",
            json={
                "agent_id": agent,
                "skills": {"billing": 3},
                "capacity": {str(k): v for k, v in capacity.per_class.items()},
                "max_total": capacity.total,
            },
            headers=supervisor,
        )
        response.raise_for_status()
        response = await client.put(
            f"{stack.url('case')}/v1/agents/me/presence",
            json={"presence": "available"},
            headers={"Authorization": f"Bearer {_token(stack, Role.AGENT, agent)}"},
        )
        response.raise_for_status()


async def _watch_lag(stack: Stack, samples: list[LagSample], stop: asyncio.Event) -> None:
    probe = LagProbe(stack.config.kafka_settings())
    await probe.start()
    try:
        while not stop.is_set():
            try:
                lag = {g: await probe.lag(g, topics) for g, topics in _groups(stack).items()}
                samples.append(LagSample(time.perf_counter(), lag))
            except Exception as exc:  # a sample missed while the broker is busy
                print(f"lag sample missed: {exc!r}", file=sys.stderr)
            await asyncio.sleep(0.5)
    finally:
        await probe.stop()


async def _kill_in_turn(stack: Stack, plan: Plan, kills: list[Kill], done: asyncio.Event) -> None:
    """After the warm-up, kill and restart each service, ``interval`` seconds apart
    (counted from the restart); ``done`` once the last has had its interval."""
    await asyncio.sleep(plan.warmup)
    for fault in plan.services:
        killed_at = time.perf_counter()
        await _inflict(stack, fault, plan)
        kills.append(Kill(fault, killed_at, time.perf_counter()))
        await asyncio.sleep(plan.interval)
    done.set()


async def _inflict(stack: Stack, fault: str, plan: Plan) -> None:
    """Break one thing and bring it back; returns once it answers again."""
    if fault == DATABASE_KILL:
        await asyncio.to_thread(stack.database.kill)
        await asyncio.to_thread(stack.database.start)
        await asyncio.to_thread(wait_for_port, stack.database, stack.config.mongo_port, 60)
    elif fault == BROKER_PAUSE:
        pid = stack.broker.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(plan.broker_pause)
        finally:
            os.kill(pid, signal.SIGCONT)
    else:
        await asyncio.to_thread(stack.services[fault].kill)
        await asyncio.to_thread(stack.start_service, fault)


async def _found(
    stack: Stack, client: httpx.AsyncClient, customers: int, visitors: list[str]
) -> tuple[list[str], set[str]]:
    """Tokens on the timelines (one per entry), and the conversations they belong to."""
    reader = _token(stack, Role.SUPERVISOR, "chaos-check")
    case_url = stack.url("case")
    seen: list[str] = []
    conversations: set[str] = set()
    for channel in CHANNELS:
        for customer in range(customers):
            found = await find_customer(
                client, case_url, reader, identity(channel, customer, visitors)
            )
            if found is None:
                continue
            for entry in await full_timeline(client, case_url, reader, found["id"], page=200):
                token = _entry_token(entry)
                if token:
                    seen.append(token)
                    conversations.add(entry["conversation_key"])
    return seen, conversations


def _entry_token(entry: dict[str, Any]) -> str | None:
    if entry["kind"] == "call":
        call = CALL.match(entry["conversation_key"])
        return call.group(1) if call else None
    if entry["entry_type"] != "interaction" or entry.get("direction") != "inbound":
        return None
    text = ((entry.get("interaction") or {}).get("content") or {}).get("text") or ""
    match = TOKEN.search(text)
    return match.group(1) if match else None


async def drive(stack: Stack, plan: Plan) -> Report:
    """Run ``plan`` against a running ``stack`` (all five services) and account for it."""
    kills: list[Kill] = []
    samples: list[LagSample] = []
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=15, limits=limits) as client:
        await _staff_agents(stack, client)
        receiver = WebhookReceiver()
        admin = _token(stack, Role.ADMIN, "chaos-integration")
        await subscribe(client, stack, admin, await receiver.start())
        traffic = Traffic(stack, client, customers=plan.customers, give_up_after=60)
        await traffic.open_conversations()
        watcher = asyncio.create_task(_watch_lag(stack, samples, stop))
        desk = AgentDesk(stack, client, lambda agent: _token(stack, Role.AGENT, agent))
        desk_done = asyncio.Event()
        working = asyncio.create_task(desk.work(list(AGENTS_CAPACITY), desk_done))
        killed_all = asyncio.Event()
        killer = asyncio.create_task(_kill_in_turn(stack, plan, kills, killed_all))
        started = time.perf_counter()
        await offer(traffic, plan.rate, killed_all)
        await killer
        offered_s = time.perf_counter() - started
        accepted = traffic.ledger.accepted
        load_ended = time.perf_counter()
        seen, conversations = await _found(stack, client, plan.customers, traffic.visitor_ids)
        while not set(seen) >= set(accepted) and (
            time.perf_counter() - load_ended < plan.settle_timeout
        ):
            await asyncio.sleep(2)
            seen, conversations = await _found(stack, client, plan.customers, traffic.visitor_ids)
        settled_s = time.perf_counter() - load_ended
        desk_done.set()
        await working
        statuses = await _settled_replies(stack, client, desk, load_ended + plan.settle_timeout)
        copies = mailed_copies(stack.config.data_dir / "outbox") + await webchat_copies(
            client, stack.url("ingest-chat"), traffic.visitor_tokens
        )
        webhooks = await webhook_tally(
            stack, TENANT, receiver, time.perf_counter() + plan.settle_timeout
        )
        receiver.stop()
        await asyncio.sleep(2)  # the router's last changes after the last stored entry
        stop.set()
        await watcher
    changes = await _routing_changes(stack)
    dead_letters = await _dead_letters(stack)
    lost_tokens = _missing(accepted, seen)
    async with httpx.AsyncClient(timeout=15) as client:
        lost_where = await _locate(stack, client, lost_tokens)
    lost, doubled = task_problems(changes, conversations)
    slack = max(10, int(plan.rate * 2))
    for kill in kills:
        kill.caught_up_s = recovery_seconds(samples, kill.killed_at, kill.ready_at, slack=slack)
    groups = {g for s in samples for g in s.lag}
    return Report(
        tallies=tally(accepted, seen),
        kills=kills,
        max_lag={
            g.removesuffix(stack.config.topic_suffix): max(s.lag.get(g, 0) for s in samples)
            for g in groups
        },
        tasks_lost=lost,
        tasks_doubled=doubled,
        overbooked=overbooked(changes, AGENTS_CAPACITY),
        task_states=dict(Counter(str(c.state) for c in changes)),
        refusals=dict(traffic.ledger.refusals),
        given_up=dict(traffic.ledger.given_up),
        settled_s=settled_s,
        offered_s=offered_s,
        lost_tokens=lost_tokens,
        lost_where=lost_where,
        faults=fault_tally(
            [
                (kill.service, kill.killed_at, later.killed_at if later else load_ended)
                for kill, later in zip(kills, [*kills[1:], None], strict=True)
            ],
            traffic.ledger.started,
            accepted,
            seen,
        ),
        webhooks=webhooks,
        dead_letters=dead_letters,
        replies=reply_tally(
            {r: reply.channel for r, reply in desk.ledger.replies.items()}, statuses, copies
        ),
        desk={
            "actions": dict(desk.ledger.actions),
            "refused": dict(desk.ledger.refused),
            "retries": desk.ledger.retries,
            "unanswered": desk.ledger.unanswered,
        },
        extra={"lag_series": [[round(x.at - samples[0].at, 2), dict(x.lag)] for x in samples]},
    )


async def _settled_replies(
    stack: Stack, client: httpx.AsyncClient, desk: AgentDesk, deadline: float
) -> dict[str, str]:
    """Each reply's status once none is pending (or at ``deadline``)."""
    reader = _token(stack, Role.SUPERVISOR, "chaos-check")
    while True:
        statuses = await reply_statuses(client, stack.url("case"), reader, desk.ledger.replies)
        pending = [r for r in desk.ledger.replies if statuses.get(r, "pending") == "pending"]
        if not pending or time.perf_counter() > deadline:
            return statuses
        await asyncio.sleep(2)


def _missing(accepted: dict[str, str], seen: list[str], first: int = 20) -> dict[str, list[str]]:
    found = set(seen)
    missing: dict[str, list[str]] = {}
    for token, channel in accepted.items():
        if token not in found and len(missing.setdefault(channel, [])) < first:
            missing[channel].append(token)
    return {channel: tokens for channel, tokens in missing.items() if tokens}


async def _locate(
    stack: Stack, client: httpx.AsyncClient, lost: dict[str, list[str]]
) -> dict[str, str]:
    """Where search finds each lost token: tells an event stored out of the run's
    sight (another customer, a page the cursor skipped) from one never stored."""
    reader = {"Authorization": f"Bearer {_token(stack, Role.SUPERVISOR, 'chaos-check')}"}
    where: dict[str, str] = {}
    for tokens in lost.values():
        for token in tokens:
            response = await client.get(
                f"{stack.url('case')}/v1/search",
                params={"q": token, "scope": "messages"},
                headers=reader,
            )
            hits = response.json().get("hits", []) if response.status_code == 200 else []
            where[token] = (
                ", ".join(f"customer {h['customer_id']} case {h['case_id']}" for h in hits)
                or f"not found by search (HTTP {response.status_code})"
            )
    return where


async def _dead_letters(stack: Stack) -> dict[str, list[str]]:
    """What the run's consumers dead-lettered (the tenant's and anyone's), with why."""
    found: dict[str, list[str]] = {}
    for topic in ALL_TOPICS:
        for _, headers in await read_records(stack.config.kafka_settings(), topic.dlq):
            named = {k: v.decode(errors="replace") for k, v in headers}
            found.setdefault(topic.dlq, []).append(
                f"{named.get('x-consumer-group')}: {named.get('x-error-type')}:"
                f" {named.get('x-error-message', '')[:300]}"
            )
    return found


async def _routing_changes(stack: Stack) -> list[RoutingChange]:
    """The run's task changes in order, each once (a re-announcement repeats an id)."""
    unique: dict[str, RoutingChange] = {}
    for event in await read_events(stack.config.kafka_settings(), ROUTING.name):
        if event.tenant_id == TENANT and isinstance(event.data, RoutingChange):
            unique.setdefault(str(event.id), event.data)
    return list(unique.values())


def run(plan: Plan) -> Report:
    """A private broker, database and the five services, then ``plan``."""
    from contactcenter_cli.processes import free_port

    with private_stack(extra_env=stack_env(), smtp_port=free_port()) as stack:
        return asyncio.run(drive(stack, plan))


def format_report(report: Report, plan: Plan) -> str:
    lines = [
        f"{plan.rate:.0f} events/s over {', '.join(CHANNELS)} for {report.offered_s:.0f} s;"
        f" each of {', '.join(plan.services)} broken in turn (SIGKILL and restart;"
        " the broker paused)",
        "",
        "channel      accepted  found  duplicates  lost  refused attempts  given up",
    ]
    for row in report.tallies:
        lines.append(
            f"{row.channel:<12} {row.accepted:>8} {row.found:>6} {row.duplicates:>11}"
            f" {row.lost:>5} {report.refusals.get(row.channel, 0):>16}"
            f" {report.given_up.get(row.channel, 0):>9}"
        )
    desk = report.desk
    actions = desk.get("actions", {})
    lines += [
        "",
        f"agents: accepted {actions.get('accept', 0)}, replied {actions.get('reply', 0)},"
        f" completed {actions.get('complete', 0)}, transferred {actions.get('transfer', 0)}"
        f" (refused for good: {desk.get('refused', {})}; retried calls:"
        f" {desk.get('retries', 0)}; unanswered: {desk.get('unanswered', 0)})",
        "reply channel  made  sent  failed  stuck  sent twice  never arrived",
    ]
    for reply in report.replies:
        lines.append(
            f"{reply.channel:<13} {reply.made:>5} {reply.sent:>5} {reply.failed:>7}"
            f" {reply.stuck:>6} {reply.doubled:>11} {reply.missing:>14}"
        )
    if report.webhooks is not None:
        hooks = report.webhooks
        lines.append(
            f"webhooks: {hooks.published} case.changed published, {hooks.delivered} delivered,"
            f" {hooks.lost} lost, {hooks.repeats} repeats (dropped by id)"
        )
    lines += [
        "",
        "fault          ready after  caught up after  sent meanwhile  found  duplicates  lost",
    ]
    by_fault = {row.fault: row for row in report.faults}
    for kill in report.kills:
        caught = f"{kill.caught_up_s:.1f} s" if kill.caught_up_s is not None else "never"
        fault = by_fault.get(kill.service)
        counts = (
            f"{fault.accepted:>14} {fault.found:>6} {fault.duplicates:>11} {fault.lost:>5}"
            if fault
            else ""
        )
        lines.append(f"{kill.service:<14} {kill.ready_s:>9.1f} s  {caught:>15}  {counts}")
    lines += [
        "",
        "max consumer lag: "
        + ", ".join(f"{g} {n} messages" for g, n in sorted(report.max_lag.items())),
        f"all accepted events found {report.settled_s:.1f} s after the load ended",
        "task changes: "
        + ", ".join(f"{state} {n}" for state, n in sorted(report.task_states.items())),
        f"conversations without a task: {len(report.tasks_lost)};"
        f" with two or more: {len(report.tasks_doubled)};"
        f" agents offered beyond capacity: {len(report.overbooked)}",
        *(
            f"  {line}"
            for line in (report.tasks_lost + report.tasks_doubled + report.overbooked)[:20]
        ),
        *(
            f"lost on {channel}: {', '.join(tokens)}"
            for channel, tokens in report.lost_tokens.items()
        ),
        *(
            f"dead letters on {topic}: {len(rows)}; {rows[0]}"
            for topic, rows in report.dead_letters.items()
        ),
        "PASS: nothing lost, nothing doubled" if report.ok else "FAIL",
    ]
    return "\n".join(lines)
