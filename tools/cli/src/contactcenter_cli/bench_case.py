"""The case service: interactions/s its consumer stores, and timeline and search reads
for a customer with 5,000 interactions, beside the raw database write rate.

Starts a private broker, database and the case service. In each run: raw PyMongo
insert_one and indexed reads of 1 KB documents; then ``interactions`` messages of
one new customer (spread over 100 conversations, so the consumer may work on them
in parallel) published at once, timed until the last is readable through the case
API; then the customer's whole timeline read page by page (50 entries a page,
following the cursor) by ``connections`` concurrent readers; then substring searches.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

import httpx

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
from cc_common.kafka.producer import EventProducer
from cc_common.settings import AuthSettings
from cc_common.topics import INTERACTIONS
from contactcenter_cli.bench_limits import mongo_rates
from contactcenter_cli.bench_table import summarise, table
from contactcenter_cli.stack import LOAD_GENERATOR_LIMITS, Stack, private_stack

TENANT = "bench"
CONVERSATIONS = 100
PAGE = 50
WORDS = ("配送", "返金", "請求書", "パスワード", "解約", "refund", "invoice", "delivery")


def _event(address: str, n: int) -> Envelope[Interaction]:
    word = WORDS[n % len(WORDS)]
    return Envelope[Interaction](
        id=uuid.uuid4(),
        type=INTERACTION_RECEIVED,
        tenant_id=TENANT,
        occurred_at=utc_now(),
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
    producer = EventProducer(stack.config.kafka_settings())
    await producer.start()
    started = time.perf_counter()
    try:
        for start in range(0, count, 500):
            await asyncio.gather(
                *(
                    producer.publish(INTERACTIONS.name, _event(address, n))
                    for n in range(start, min(count, start + 500))
                )
            )
    finally:
        await producer.stop()
    customer_id = ""
    while True:
        found = (
            await client.get(
                "/v1/customers", params={"identity": f"email:{address}"}, headers=headers
            )
        ).json()
        if found:
            customer_id = found[0]["id"]
            entries = await _count(client, headers, customer_id)
            if entries >= count:
                return count / (time.perf_counter() - started), customer_id
        await asyncio.sleep(0.5)


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


async def _page_reads(
    client: httpx.AsyncClient, headers: dict[str, str], customer_id: str, readers: int
) -> list[float]:
    """Latency of every page read while ``readers`` clients each walk the whole timeline."""
    latencies: list[float] = []

    async def walk() -> None:
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            started = time.perf_counter()
            response = await client.get(
                f"/v1/customers/{customer_id}/timeline", params=params, headers=headers
            )
            latencies.append(time.perf_counter() - started)
            cursor = response.json()["next_cursor"]
            if not cursor:
                return

    await asyncio.gather(*(walk() for _ in range(readers)))
    return latencies


async def _searches(client: httpx.AsyncClient, headers: dict[str, str]) -> list[float]:
    latencies: list[float] = []
    for query in [*WORDS, "お問い合わせ", "注文番号"] * 5:
        started = time.perf_counter()
        response = await client.get("/v1/search", params={"q": query}, headers=headers)
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)
    return latencies


async def _one_run(stack: Stack, interactions: int, readers: int) -> dict[str, float]:
    mongo = await mongo_rates(stack.config, 3000)
    token = issue_token(
        AuthSettings(jwt_secret=stack.config.dev_secret()),
        subject="bench",
        tenant_id=TENANT,
        roles=[Role.SUPERVISOR],
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.url("case"), timeout=60) as client:
        stored_per_s, customer_id = await _store_rate(stack, client, headers, interactions)
        pages = await _page_reads(client, headers, customer_id, readers)
        searches = await _searches(client, headers)
    return {
        "raw_insert_one_per_s": mongo["insert_one_per_s"],
        "raw_indexed_reads_per_s": mongo["indexed_reads_per_s"],
        "stored_per_s": stored_per_s,
        "page_p50_ms": statistics.median(pages) * 1000,
        "page_p99_ms": _percentile(pages, 0.99),
        "pages_per_s": len(pages) / sum(pages) * readers,
        "search_p50_ms": statistics.median(searches) * 1000,
        "search_p99_ms": _percentile(searches, 0.99),
    }


def run(
    *, seconds: int = 0, connections: int = 4, runs: int = 3, interactions: int = 5000
) -> dict[str, Any]:
    """Measure ``runs`` times (a new customer each run); figures as median, min and max."""
    del seconds  # the work is fixed: ``interactions`` per run
    with private_stack("case", extra_env=LOAD_GENERATOR_LIMITS) as stack:
        results = [asyncio.run(_one_run(stack, interactions, connections)) for _ in range(runs)]
    return {
        "interactions": interactions,
        "readers": connections,
        "runs": results,
        "summary": summarise(results, ROWS),
    }


ROWS = (
    ("raw Mongo insert_one/s", "raw_insert_one_per_s"),
    ("raw Mongo indexed reads/s", "raw_indexed_reads_per_s"),
    ("interactions stored/s", "stored_per_s"),
    ("timeline page p50 ms", "page_p50_ms"),
    ("timeline page p99 ms", "page_p99_ms"),
    ("timeline pages/s", "pages_per_s"),
    ("search p50 ms", "search_p50_ms"),
    ("search p99 ms", "search_p99_ms"),
)


def format_result(result: dict[str, Any]) -> str:
    s = result["summary"]
    stored = s["stored_per_s"]["median"] / s["raw_insert_one_per_s"]["median"]
    return "\n".join(
        [
            f"{result['interactions']} interactions of one customer per run;"
            f" {result['readers']} concurrent readers, {PAGE} entries a page",
            *table(s, ROWS),
            f"the consumer stores interactions at {stored:.1%} of one client's sequential"
            " MongoDB inserts (each costs an identity lookup, the case and conversation"
            " documents and the entry itself).",
        ]
    )
