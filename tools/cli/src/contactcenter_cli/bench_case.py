"""The case service: interactions/s its consumer stores, and the reads agents make
of a customer with 5,000 and with 50,000 timeline entries, beside the raw database rates.

Starts a private broker, database and the case service. In each run: raw PyMongo
insert_one and indexed reads of 1 KB documents; then ``interactions`` messages of
one new customer (spread over 100 conversations, so the consumer may work on them
in parallel) published at once, timed until the consumer has committed them all.
Then, for each history size, the last customer's timeline is topped up once to that
many entries, written straight into the database as the consumer writes them and
spread over two years (a year's history is not published in a benchmark's minutes),
and each run reads it: ``connections`` concurrent readers each walk ``PAGES_WALKED``
pages (50 entries a page, following the cursor) from the newest entry and from a
random depth; then substring searches, case reads and customer reads.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from case_service.adapters.timeline import ENTRIES
from case_service.domain.timeline import Position, encode_cursor, interaction_entry
from cc_common.auth import Role, issue_token
from cc_common.events import (
    INTERACTION_RECEIVED,
    Channel,
    Content,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    Party,
    PartyRole,
    utc_now,
)
from cc_common.kafka.inspect import LagProbe
from cc_common.kafka.producer import EventProducer
from cc_common.settings import AuthSettings
from cc_common.topics import INTERACTIONS
from contactcenter_cli.bench_limits import mongo_rates
from contactcenter_cli.bench_table import summarise, table
from contactcenter_cli.stack import LOAD_GENERATOR_LIMITS, Stack, private_stack

TENANT = "bench"
CONVERSATIONS = 100
PAGE = 50
PAGES_WALKED = 20
POINT_READS = 200
HISTORIES = (5_000, 50_000)
HISTORY_S = 2 * 365 * 24 * 3600
WORDS = ("配送", "返金", "請求書", "パスワード", "解約", "refund", "invoice", "delivery")


def _event(
    address: str, n: int, at: datetime | None = None, tenant: str = TENANT
) -> Envelope[Interaction]:
    word = WORDS[n % len(WORDS)]
    return Envelope[Interaction](
        id=uuid.uuid4(),
        type=INTERACTION_RECEIVED,
        tenant_id=tenant,
        occurred_at=at or utc_now(),
        source="bench",
        data=Interaction(
            channel=Channel.EMAIL,
            direction=Direction.INBOUND,
            provider="bench",
            conversation_key=f"mail:{address}:{n % CONVERSATIONS}",
            provider_message_id=uuid.uuid4().hex,
            parties=(
                Party(
                    role=PartyRole.CUSTOMER,
                    identities=(Identity(kind=IdentityKind.EMAIL, value=address, verified=True),),
                ),
            ),
            content=Content(text=f"{word}の件でお問い合わせです。注文番号 {n} " * 8),
        ),
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)] * 1000


async def _store_rate(
    stack: Stack, client: httpx.AsyncClient, headers: dict[str, str], count: int
) -> tuple[float, str]:
    """Publish ``count`` interactions of a new customer; time until all are readable."""
    address = f"bench-{uuid.uuid4().hex[:8]}@example.org"
    # Published at once, but written as a customer writes: a second apart. Stamped
    # with the instant they were made, 2,000 messages would share a tenth of a second,
    # which no customer produces and which the reads below would then measure.
    now = utc_now()
    times = [now - timedelta(seconds=count - n) for n in range(count)]
    producer = EventProducer(stack.config.kafka_settings())
    await producer.start()
    started = time.perf_counter()
    try:
        for start in range(0, count, 500):
            await asyncio.gather(
                *(
                    producer.publish(INTERACTIONS.name, _event(address, n, times[n]))
                    for n in range(start, min(count, start + 500))
                )
            )
    finally:
        await producer.stop()
    # Done when the case consumer has committed everything (it commits after storing);
    # polling the timeline itself would read the whole history twice a second.
    probe = LagProbe(stack.config.kafka_settings())
    await probe.start()
    try:
        group = f"case{stack.config.topic_suffix}"
        while True:
            if not await probe.lag(group, [INTERACTIONS.name]):
                break
            await asyncio.sleep(0.2)
    finally:
        await probe.stop()
    elapsed = time.perf_counter() - started
    found = (
        await client.get("/v1/customers", params={"identity": f"email:{address}"}, headers=headers)
    ).json()
    customer_id = found[0]["id"]
    stored = await _count(client, headers, customer_id)
    if stored != count:
        raise RuntimeError(f"{stored} of {count} interactions stored")
    return count / elapsed, customer_id


async def _count(client: httpx.AsyncClient, headers: dict[str, str], customer_id: str) -> int:
    """Entries on the customer's timeline (read with the largest pages)."""
    total, cursor = 0, None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = (
            await client.get(
                f"/v1/customers/{customer_id}/timeline", params=params, headers=headers
            )
        ).json()
        total += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return total


async def top_up_timeline(
    stack: Stack,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    customer_id: str,
    size: int,
    tenant: str = TENANT,
) -> list[Position]:
    """Write entries for the customer (of ``tenant``) until its timeline holds ``size``,
    as the consumer writes them, at random times over the two years before now; their
    positions."""
    cases = (await client.get(f"/v1/customers/{customer_id}/cases", headers=headers)).json()
    have = await _count(client, headers, customer_id)
    now = utc_now()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.config.mongo_url, journal=True)
    prefix = stack.config.database_prefix
    entries = mongo[f"{prefix}_case" if prefix else "cc_case"][ENTRIES]
    positions: list[Position] = []
    try:
        for start in range(have, size, 1000):
            batch = []
            for n in range(start, min(size, start + 1000)):
                event = _event("history@example.org", n, tenant=tenant).model_copy(
                    update={"occurred_at": now - timedelta(seconds=random.uniform(0, HISTORY_S))}
                )
                case_id = cases[n % len(cases)]["id"]
                batch.append(interaction_entry(event, customer_id=customer_id, case_id=case_id))
            await entries.insert_many(batch, ordered=False)
            positions += [(e["occurred_at"], e["order"], e["_id"]) for e in batch]
    finally:
        await mongo.close()
    return positions


async def _page_reads(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    customer_id: str,
    readers: int,
    deep: list[Position],
) -> list[float]:
    """Latency of every page read while ``readers`` clients each walk ``PAGES_WALKED``
    pages from the newest entry, then as many from a random entry deep in the history,
    with the cursor the API would have handed out there (its hint: the time the page
    above it covered)."""
    latencies: list[float] = []

    async def walk(cursor: str | None) -> None:
        for _ in range(PAGES_WALKED):
            params: dict[str, Any] = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            started = time.perf_counter()
            response = await client.get(
                f"/v1/customers/{customer_id}/timeline", params=params, headers=headers
            )
            latencies.append(time.perf_counter() - started)
            cursor = response.json()["next_cursor"]
            if not cursor:
                return

    await asyncio.gather(*(walk(None) for _ in range(readers)))
    newest_first = sorted(deep, reverse=True)
    starts = []
    for at in random.sample(range(PAGE, len(newest_first)), readers):
        covered = newest_first[at - PAGE][0] - newest_first[at][0]
        window_ms = max(1, int(covered.total_seconds() * 1000))
        starts.append(encode_cursor(newest_first[at], window_ms))
    await asyncio.gather(*(walk(cursor) for cursor in starts))
    return latencies


async def _searches(client: httpx.AsyncClient, headers: dict[str, str]) -> list[float]:
    latencies: list[float] = []
    for query in [*WORDS, "お問い合わせ", "注文番号"] * 5:
        started = time.perf_counter()
        response = await client.get("/v1/search", params={"q": query}, headers=headers)
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)
    return latencies


async def _point_reads(
    client: httpx.AsyncClient, headers: dict[str, str], paths: list[str]
) -> list[float]:
    latencies: list[float] = []
    for path in paths * (POINT_READS // len(paths)):
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)
    return latencies


async def _reads_at(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    customer_id: str,
    size: int,
    readers: int,
    positions: list[Position],
) -> dict[str, float]:
    pages = await _page_reads(client, headers, customer_id, readers, positions)
    searches = await _searches(client, headers)
    cases = (await client.get(f"/v1/customers/{customer_id}/cases", headers=headers)).json()
    case_reads = await _point_reads(client, headers, [f"/v1/cases/{c['id']}" for c in cases])
    customer_reads = await _point_reads(client, headers, [f"/v1/customers/{customer_id}"])
    tag = f"{size // 1000}k"
    return {
        f"page_p50_ms_{tag}": statistics.median(pages) * 1000,
        f"page_p99_ms_{tag}": _percentile(pages, 0.99),
        f"search_p50_ms_{tag}": statistics.median(searches) * 1000,
        f"search_p99_ms_{tag}": _percentile(searches, 0.99),
        f"case_read_p99_ms_{tag}": _percentile(case_reads, 0.99),
        f"customer_read_p99_ms_{tag}": _percentile(customer_reads, 0.99),
    }


async def _measure(
    stack: Stack, interactions: int, readers: int, histories: tuple[int, ...], runs: int
) -> list[dict[str, float]]:
    """``runs`` rounds of each figure. The consumer's rate is measured on a new
    customer each round; the reads share one history per size, built once: writing
    50,000 entries three times took the embedded database over half an hour."""
    token = issue_token(
        AuthSettings(jwt_secret=stack.config.dev_secret()),
        subject="bench",
        tenant_id=TENANT,
        roles=[Role.SUPERVISOR],
    )
    headers = {"Authorization": f"Bearer {token}"}
    results: list[dict[str, float]] = []
    async with httpx.AsyncClient(base_url=stack.url("case"), timeout=60) as client:
        customer_id = ""
        for _ in range(runs):
            mongo = await mongo_rates(stack.config, 3000)
            stored_per_s, customer_id = await _store_rate(stack, client, headers, interactions)
            results.append(
                {
                    "raw_insert_one_per_s": mongo["insert_one_per_s"],
                    "raw_indexed_reads_per_s": mongo["indexed_reads_per_s"],
                    "stored_per_s": stored_per_s,
                }
            )
        for size in histories:
            positions = await top_up_timeline(stack, client, headers, customer_id, size)
            for result in results:
                result |= await _reads_at(client, headers, customer_id, size, readers, positions)
    return results


def run(
    *,
    seconds: int = 0,
    connections: int = 4,
    runs: int = 3,
    interactions: int = 2000,
    histories: tuple[int, ...] = HISTORIES,
) -> dict[str, Any]:
    """Measure ``runs`` times; figures as median, min and max."""
    del seconds  # the work is fixed: ``interactions`` per run
    with private_stack("case", extra_env=LOAD_GENERATOR_LIMITS) as stack:
        results = asyncio.run(_measure(stack, interactions, connections, histories, runs))
    rows = [row for row in ROWS if row[1] in results[0]] + _read_rows(histories)
    return {
        "interactions": interactions,
        "readers": connections,
        "histories": list(histories),
        "runs": results,
        "summary": summarise(results, rows),
    }


def _read_rows(histories: tuple[int, ...]) -> list[tuple[str, str]]:
    rows = []
    for size in histories:
        tag = f"{size // 1000}k"
        rows += [
            (f"timeline page p50 ms, {size:,} entries", f"page_p50_ms_{tag}"),
            (f"timeline page p99 ms, {size:,} entries", f"page_p99_ms_{tag}"),
            (f"search p50 ms, {size:,} entries", f"search_p50_ms_{tag}"),
            (f"search p99 ms, {size:,} entries", f"search_p99_ms_{tag}"),
            (f"case read p99 ms, {size:,} entries", f"case_read_p99_ms_{tag}"),
            (f"customer read p99 ms, {size:,} entries", f"customer_read_p99_ms_{tag}"),
        ]
    return rows


ROWS = (
    ("raw Mongo insert_one/s", "raw_insert_one_per_s"),
    ("raw Mongo indexed reads/s", "raw_indexed_reads_per_s"),
    ("interactions stored/s", "stored_per_s"),
)


def format_result(result: dict[str, Any]) -> str:
    s = result["summary"]
    stored = s["stored_per_s"]["median"] / s["raw_insert_one_per_s"]["median"]
    rows = list(ROWS) + _read_rows(tuple(result["histories"]))
    return "\n".join(
        [
            f"{result['interactions']} interactions of one customer stored per run, then"
            f" reads at {', '.join(f'{h:,}' for h in result['histories'])} entries;"
            f" {result['readers']} concurrent readers, {PAGE} entries a page",
            *table(s, rows),
            f"the consumer stores interactions at {stored:.1%} of one client's sequential"
            " MongoDB inserts (each costs an identity lookup, the case and conversation"
            " documents and the entry itself).",
        ]
    )
