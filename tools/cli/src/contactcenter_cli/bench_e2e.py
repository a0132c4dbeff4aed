"""End to end: signed LINE webhooks offered at fixed rates (open loop: the generator
never waits for the system), timed from the provider's POST until the case service
announces the stored message on its live stream, beside the raw database write rate.

Starts a private broker and database and all five services. A supervisor's
``GET /v1/events`` stream observes ``case.changed`` for every stored message (each
carries a unique token in its text); a message not announced within the grace period
after its rate's run counts as lost. Each rate runs for ``seconds``; the highest rate
whose messages all arrive with a p99 under a second is reported as sustained.

Before the rates, the stack is left with nothing flowing (only the supervisor's open
stream) and the CPU of every one of its processes is read from ``/proc`` over
``IDLE_SAMPLE_SECONDS``; then one message is timed, the first after the quiet spell
(consumers have lengthened their fetch waits by then).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import statistics
import time
import uuid
from typing import Any

import httpx

from cc_common.auth import Role, issue_token
from cc_common.settings import AuthSettings
from contactcenter_cli.bench_chat import SECRET, TENANT
from contactcenter_cli.bench_limits import mongo_rates
from contactcenter_cli.processes import ManagedProcess, cpu_seconds, resident_mib
from contactcenter_cli.stack import Stack, private_stack

USERS = 200
GRACE_SECONDS = 30.0
QUIET_SECONDS = 20.0
"""Nothing sent for this long before the idle reading: every consumer's fetch wait has
doubled up to its idle length by then."""
IDLE_SAMPLE_SECONDS = 30.0


def _signed(token: str, user: int) -> tuple[bytes, str]:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": f"Ubench{user:027d}"},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "text": f"e2e {token}"},
    }
    body = json.dumps({"destination": "U0", "events": [event]}).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    return body, signature.decode()


class Observer:
    """A supervisor's live stream: when each token's message was announced."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.ready = asyncio.Event()

    async def follow(self, client: httpx.AsyncClient, url: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with client.stream("GET", url, headers=headers, timeout=None) as response:
            self.ready.set()
            name = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name == "case.changed":
                    summary = json.loads(line[6:])["data"].get("summary") or ""
                    if summary.startswith("e2e "):
                        self.seen.setdefault(summary[4:], time.perf_counter())


async def _offer(
    client: httpx.AsyncClient, url: str, rate: float, seconds: float
) -> tuple[dict[str, float], int]:
    """Send at ``rate``/s for ``seconds``, each POST on its own; returns token -> send time."""
    sent: dict[str, float] = {}
    refused = 0
    tasks: list[asyncio.Task[None]] = []

    async def post(n: int) -> None:
        nonlocal refused
        token = uuid.uuid4().hex
        body, signature = _signed(token, n % USERS)
        started = time.perf_counter()
        sent[token] = started
        try:
            response = await client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "X-Line-Signature": signature},
            )
            if response.status_code != 200:
                refused += 1
                del sent[token]
        except httpx.HTTPError:
            refused += 1
            del sent[token]

    begin = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(post(n)))
    await asyncio.gather(*tasks)
    return sent, refused


async def _settle(observer: Observer, sent: dict[str, float]) -> None:
    """Wait until every accepted message was announced, or the grace period ends."""
    deadline = time.perf_counter() + GRACE_SECONDS
    while time.perf_counter() < deadline and not observer.seen.keys() >= sent.keys():  # noqa: ASYNC110  (a dict filled by the stream's task)
        await asyncio.sleep(0.2)


async def _measure(
    stack: Stack, rates: list[float], seconds: float
) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """The idle reading and the first message after it, then each rate."""
    supervisor = issue_token(
        AuthSettings(jwt_secret=stack.config.dev_secret()),
        subject="bench",
        tenant_id=TENANT,
        roles=[Role.SUPERVISOR],
    )
    observer = Observer()
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    async with (
        httpx.AsyncClient(timeout=60) as watcher,
        httpx.AsyncClient(timeout=60, limits=limits) as sender,
    ):
        follow = asyncio.create_task(
            observer.follow(watcher, f"{stack.url('case')}/v1/events", supervisor)
        )
        await observer.ready.wait()
        webhook = f"{stack.url('ingest-chat')}/v1/line/{TENANT}/webhook"
        # Warm up until the live stream carries messages (its consumer starts at latest).
        while not observer.seen:
            await _offer(sender, webhook, 5, 1)
            await asyncio.sleep(1)
        idle = await _idle(stack)
        sent, _ = await _offer(sender, webhook, 1, 1)
        await _settle(observer, sent)
        first = [observer.seen[t] - s for t, s in sent.items() if t in observer.seen]
        idle["first_after_quiet_ms"] = first[0] * 1000 if first else float("nan")
        results = []
        for rate in rates:
            sent, refused = await _offer(sender, webhook, rate, seconds)
            await _settle(observer, sent)
            latencies = sorted(observer.seen[t] - s for t, s in sent.items() if t in observer.seen)
            arrived = [observer.seen[t] for t in sent if t in observer.seen]
            span = (max(arrived) - min(sent.values())) if arrived else 1.0
            results.append(
                {
                    "offered_per_s": rate,
                    "accepted": float(len(sent)),
                    "refused": float(refused),
                    "lost": float(len(sent) - len(latencies)),
                    "stored_per_s": len(latencies) / span,
                    "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
                    "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
                    if latencies
                    else 0.0,
                }
            )
        follow.cancel()
    return idle, results


async def _idle(stack: Stack) -> dict[str, Any]:
    """Percent of one core each process of the stack used while nothing flowed."""
    await asyncio.sleep(QUIET_SECONDS)
    processes = _processes(stack)
    before = {name: cpu_seconds(process.pid) for name, process in processes.items()}
    await asyncio.sleep(IDLE_SAMPLE_SECONDS)
    percent = {}
    for name, process in processes.items():
        start, end = before[name], cpu_seconds(process.pid)
        if start is not None and end is not None:
            percent[name] = (end - start) / IDLE_SAMPLE_SECONDS * 100
    return {"idle_cpu_percent": percent, "idle_cpu_total_percent": sum(percent.values())}


def run(
    *, seconds: int = 10, connections: int = 0, runs: int = 1, rates: str = "10,20,40,80"
) -> dict[str, Any]:
    """One pass over ``rates`` (messages/s) per run."""
    del connections  # open loop: as many connections as the rate needs
    offered = [float(r) for r in rates.split(",")]
    line = {
        TENANT: {"channel_secrets": [SECRET], "access_token": "unused", "profile_lookup": False}
    }
    passes = []
    with private_stack(extra_env={"CHAT_LINE": json.dumps(line)}) as stack:
        for _ in range(runs):
            raw = asyncio.run(mongo_rates(stack.config, 3000))["insert_one_per_s"]
            idle, rows = asyncio.run(_measure(stack, offered, seconds))
            passes.append(
                {
                    "raw_insert_one_per_s": raw,
                    "idle": idle,
                    "rates": rows,
                    "resident_mib": _memory(stack),
                }
            )
    return {"seconds": seconds, "runs": passes}


def _processes(stack: Stack) -> dict[str, ManagedProcess]:
    found = {"broker": stack.broker, "database": stack.database, **stack.services}
    found["mail sink"] = stack.mail_sink
    if stack.provider_sink is not None:
        found["provider sink"] = stack.provider_sink
    return found


def _memory(stack: Stack) -> dict[str, float | None]:
    """Each process's resident memory after the run (caches must not grow unbounded)."""
    return {name: resident_mib(process.pid) for name, process in _processes(stack).items()}


def format_result(result: dict[str, Any]) -> str:
    lines = [
        f"open loop, {result['seconds']} s per rate; latency = LINE POST to the stored"
        " message announced on the case service's live stream",
        "run  offered/s  accepted  refused  lost  stored/s   p50 ms    p99 ms",
    ]
    for number, one in enumerate(result["runs"], start=1):
        for row in one["rates"]:
            lines.append(
                f"{number:>3} {row['offered_per_s']:>10.0f} {row['accepted']:>9.0f}"
                f" {row['refused']:>8.0f} {row['lost']:>5.0f} {row['stored_per_s']:>9.1f}"
                f" {row['p50_ms']:>8.0f} {row['p99_ms']:>9.0f}"
            )
        sustained = [
            r for r in one["rates"] if r["lost"] == 0 and r["refused"] == 0 and r["p99_ms"] < 1000
        ]
        best = max((r["stored_per_s"] for r in sustained), default=0.0)
        lines.append(
            f"run {number}: sustained {best:.1f} messages/s with p99 under 1 s, that is"
            f" {best / one['raw_insert_one_per_s']:.1%} of one client's sequential MongoDB"
            f" inserts ({one['raw_insert_one_per_s']:.0f}/s) in the same run"
        )
        idle = one["idle"]
        lines.append(
            f"run {number}: idle, {idle['idle_cpu_total_percent']:.1f}% of one core in all ("
            + ", ".join(f"{n} {p:.1f}" for n, p in idle["idle_cpu_percent"].items())
            + f"); the first message after the quiet spell took"
            f" {idle['first_after_quiet_ms']:.0f} ms"
        )
        memory = one.get("resident_mib") or {}
        lines.append(
            f"run {number}: resident memory after it, MiB: "
            + ", ".join(
                f"{name} {mib:.0f}" if mib is not None else f"{name} ?"
                for name, mib in memory.items()
            )
        )
    return "\n".join(lines)
