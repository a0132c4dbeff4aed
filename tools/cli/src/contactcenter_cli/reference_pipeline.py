"""The durable reference pipeline: the least a service that keeps every rule must do.

A FastAPI endpoint that answers only once the broker acknowledged the event
(``acks=all``), one consumer that stores each batch with one bulk write of upserts
(idempotent on the event id) and commits after it. Its HTTP rate is the limit the
ingest doors are judged by, its stored rate the limit of the end-to-end pipeline:
both do the same durable work as our services, minus our services' own logic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient, UpdateOne

from contactcenter_cli.http_load import served_app, wrk_post
from contactcenter_cli.stack import StackConfig

TOPIC = "cc.signals.v1.dlq"
"""An always-present topic nobody else reads during the limits."""

TEXT = "x" * 900
"""About 1 KB a request and an event, like a provider's message webhook."""

REFERENCE_APP = """
import json
import os
import uuid
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from pydantic import BaseModel

TOPIC = os.environ["REFERENCE_TOPIC"]
state = {}


class Message(BaseModel):
    client_message_id: str
    text: str


@asynccontextmanager
async def lifespan(app):
    producer = AIOKafkaProducer(bootstrap_servers=os.environ["REFERENCE_KAFKA"], acks="all")
    await producer.start()
    state["producer"] = producer
    yield
    await producer.stop()


app = FastAPI(lifespan=lifespan)


@app.post("/v1/messages", status_code=202)
async def accept(message: Message) -> dict[str, str]:
    event_id = str(uuid.uuid4())
    body = json.dumps({"id": event_id, **message.model_dump()}).encode()
    await state["producer"].send_and_wait(TOPIC, body, key=message.client_message_id.encode())
    return {"id": event_id}
"""


OPEN_LOOP_RATES = (10, 20, 30, 40, 60, 80)
"""The rates bench-e2e offers; the reference's latency at each, to judge ours by."""


@dataclass(frozen=True, slots=True)
class ReferenceFigures:
    http_per_s: float
    """Requests answered 2xx per second (each after the broker's ack)."""
    stored_per_s: float
    """Events stored per second, from the first request to the last one stored."""
    accepted: int
    stored: int
    p99_ms_at: dict[int, float]
    """Open loop: offered rate -> p99 from POST to stored."""


class BulkStore:
    """The reference consumer: one bulk write of upserts per batch, then commit."""

    def __init__(self, config: StackConfig, topic: str) -> None:
        self._config = config
        self._topic = topic
        self.stored = 0
        self.last_stored_at = 0.0
        self._stop = asyncio.Event()
        self._progress = asyncio.Event()
        self.stored_at: dict[str, float] = {}
        """client_message_id -> when its batch was stored and committed."""

    async def run(self, ready: asyncio.Event) -> None:
        settings = self._config.kafka_settings()
        consumer = AIOKafkaConsumer(
            self._topic,
            bootstrap_servers=settings.bootstrap_servers,
            group_id=f"reference-{uuid.uuid4().hex[:8]}",
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
        )
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            self._config.mongo_url, journal=True
        )
        collection = client[f"reference_{uuid.uuid4().hex[:8]}"]["events"]
        await consumer.start()
        try:
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=100)
            for tp in consumer.assignment():
                await consumer.seek_to_end(tp)
            ready.set()
            while not self._stop.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=1000)
                records = [r for rs in batch.values() for r in rs]
                if not records:
                    continue
                docs = [json.loads(r.value) for r in records if r.value is not None]
                await collection.bulk_write(
                    [UpdateOne({"_id": d["id"]}, {"$setOnInsert": d}, upsert=True) for d in docs],
                    ordered=False,
                )
                await consumer.commit()
                self.stored += len(docs)
                self.last_stored_at = time.perf_counter()
                for doc in docs:
                    self.stored_at[doc["client_message_id"]] = self.last_stored_at
                self._progress.set()
        finally:
            await consumer.stop()
            await client.drop_database(collection.database.name)
            await client.close()

    async def stored_at_least(self, count: int) -> None:
        """Wait until ``count`` events are stored (the caller bounds the wait)."""
        while self.stored < count:
            self._progress.clear()
            await self._progress.wait()

    def stop(self) -> None:
        self._stop.set()


async def _measure(
    config: StackConfig, url: str, *, seconds: int, connections: int
) -> ReferenceFigures:
    store = BulkStore(config, TOPIC + config.kafka_settings().topic_suffix)
    ready = asyncio.Event()
    consuming = asyncio.create_task(store.run(ready))
    await asyncio.wait_for(ready.wait(), 60)
    started = time.perf_counter()
    http_per_s, accepted = await asyncio.to_thread(
        wrk_post,
        url,
        {"client_message_id": "m1", "text": TEXT},
        seconds=seconds,
        connections=connections,
    )
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(120):
            await store.stored_at_least(accepted)
    elapsed = (store.last_stored_at or time.perf_counter()) - started
    stored = store.stored
    p99_ms_at = {rate: await _open_loop_p99(store, url, rate) for rate in OPEN_LOOP_RATES}
    store.stop()
    await consuming
    return ReferenceFigures(
        http_per_s=http_per_s,
        stored_per_s=stored / elapsed if elapsed > 0 else 0.0,
        accepted=accepted,
        stored=stored,
        p99_ms_at=p99_ms_at,
    )


async def _open_loop_p99(store: BulkStore, url: str, rate: int, seconds: float = 5.0) -> float:
    """p99 ms from POST to stored, sending at ``rate`` per second whatever the answers."""
    sent: dict[str, float] = {}
    accepted: list[str] = []
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=500)) as client:

        async def one(message_id: str) -> None:
            sent[message_id] = time.perf_counter()
            response = await client.post(url, json={"client_message_id": message_id, "text": TEXT})
            if response.status_code == 202:
                accepted.append(message_id)

        tasks = []
        start = time.perf_counter()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(f"open-{rate}-{n}")))
        await asyncio.gather(*tasks)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(30):
            while not all(m in store.stored_at for m in accepted):
                await store.stored_at_least(store.stored + 1)
    latencies = sorted(
        (store.stored_at[m] - sent[m]) * 1000 for m in accepted if m in store.stored_at
    )
    if not latencies:
        return float("nan")
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


def measure(config: StackConfig, *, seconds: int, connections: int = 64) -> ReferenceFigures:
    """Run the reference endpoint as its own process (one uvicorn worker, like each
    service) and its consumer here, under wrk at ``connections``."""
    env = {
        "REFERENCE_KAFKA": config.bootstrap_servers,
        "REFERENCE_TOPIC": TOPIC + config.kafka_settings().topic_suffix,
    }
    with served_app(REFERENCE_APP, name="reference pipeline", env=env) as url:
        return asyncio.run(
            _measure(config, f"{url}/v1/messages", seconds=seconds, connections=connections)
        )
