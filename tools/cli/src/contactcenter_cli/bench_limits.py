"""The limits every other figure is a ratio to, measured in the same run.

- raw aiokafka produce (acks=all, pipelined) and consume rates of 1 KB messages;
- raw PyMongo async writes (single inserts and ``insert_many``) and indexed reads;
- a bare FastAPI POST endpoint's request rate under wrk;
- the durable reference pipeline (``reference_pipeline``): an endpoint answering after
  the broker's ack, one consumer storing each batch with one bulk write. Its HTTP rate
  is the ingest limit, its stored rate the end-to-end limit.

Each figure is the median of ``runs`` runs with the min and max beside it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient

from cc_common.kafka.producer import EventProducer, Headers
from contactcenter_cli import reference_pipeline
from contactcenter_cli.http_load import served_app, wrk_post
from contactcenter_cli.processes import (
    require_wrk,
)
from contactcenter_cli.stack import StackConfig, private_stack

PAYLOAD = b"x" * 1024
REFERENCE_CONNECTIONS = 64
"""Concurrent connections of the HTTP load: what providers really open (at least 64)."""
TOPIC = "cc.agents.v1.dlq"  # an always-present topic nobody consumes in this run

BARE_APP = """
from fastapi import FastAPI
from pydantic import BaseModel

class Message(BaseModel):
    client_message_id: str
    text: str

app = FastAPI()

@app.post("/v1/echo", status_code=202)
async def echo(message: Message) -> dict[str, str]:
    return {"id": message.client_message_id}
"""


async def kafka_rates(config: StackConfig, count: int) -> tuple[float, float]:
    """(produce/s, consume/s) for ``count`` 1 KB messages."""
    settings = config.kafka_settings()
    producer = EventProducer(settings)
    await producer.start()
    topic = TOPIC + settings.topic_suffix
    try:
        started = time.perf_counter()
        for start in range(0, count, 1000):
            batch: list[tuple[bytes | None, bytes, Headers]] = [
                (b"k", PAYLOAD, []) for _ in range(min(1000, count - start))
            ]
            await producer.send_raw_many(TOPIC, batch)
        produce = count / (time.perf_counter() - started)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or {0}
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = {tp: max(0, ends[tp] - count) for tp in tps}
        for tp in tps:
            consumer.seek(tp, starts[tp])
        wanted = sum(ends[tp] - starts[tp] for tp in tps)
        received = 0
        started = time.perf_counter()
        while received < wanted:
            batch_records = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            received += sum(len(r) for r in batch_records.values())
        consume = received / (time.perf_counter() - started)
    finally:
        await consumer.stop()
    return produce, consume


async def mongo_rates(config: StackConfig, count: int) -> dict[str, float]:
    """Single inserts/s, insert_many docs/s and indexed point reads/s of 1 KB documents."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(config.mongo_url, journal=True)
    db = client[f"bench_{uuid.uuid4().hex[:8]}"]
    try:
        collection = db["docs"]
        await collection.create_index([("key", 1)])
        body = "x" * 1000
        started = time.perf_counter()
        singles = max(1, count // 10)
        for n in range(singles):
            await collection.insert_one({"key": f"s{n}", "body": body})
        single = singles / (time.perf_counter() - started)
        started = time.perf_counter()
        for start in range(0, count, 500):
            await collection.insert_many(
                [{"key": f"m{n}", "body": body} for n in range(start, min(count, start + 500))]
            )
        many = count / (time.perf_counter() - started)
        started = time.perf_counter()
        for n in range(singles):
            await collection.find_one({"key": f"m{n}"})
        reads = singles / (time.perf_counter() - started)
        return {
            "insert_one_per_s": single,
            "insert_many_docs_per_s": many,
            "indexed_reads_per_s": reads,
        }
    finally:
        await client.drop_database(db.name)
        await client.close()


def bare_endpoint_rate(seconds: int, connections: int) -> float:
    """Requests/s of a FastAPI + pydantic POST under wrk (one uvicorn process)."""
    with served_app(BARE_APP, name="bare endpoint") as url:
        rate, _ = wrk_post(
            f"{url}/v1/echo",
            {"client_message_id": "m1", "text": "hello"},
            seconds=seconds,
            connections=connections,
        )
    return rate


def run(
    *, runs: int = 3, messages: int = 20_000, documents: int = 10_000, seconds: int = 5
) -> dict[str, Any]:
    """Start a private broker and database, measure every limit ``runs`` times."""
    require_wrk()  # before anything starts, not after the first minutes of measuring
    samples: list[dict[str, float]] = []
    with private_stack(infrastructure_only=True) as stack:
        for _ in range(runs):
            produce, consume = asyncio.run(kafka_rates(stack.config, messages))
            mongo = asyncio.run(mongo_rates(stack.config, documents))
            samples.append(
                {
                    "kafka_produce_per_s": produce,
                    "kafka_consume_per_s": consume,
                    **mongo,
                    "bare_endpoint_per_s": bare_endpoint_rate(seconds, REFERENCE_CONNECTIONS),
                    **_reference(stack.config, seconds),
                }
            )
    return {"runs": samples, "summary": summarise(samples)}


def _reference(config: StackConfig, seconds: int) -> dict[str, float]:
    figures = reference_pipeline.measure(config, seconds=seconds, connections=REFERENCE_CONNECTIONS)
    return {
        "reference_http_per_s": figures.http_per_s,
        "reference_stored_per_s": figures.stored_per_s,
        **{f"reference_p99_ms_at_{rate}": p99 for rate, p99 in figures.p99_ms_at.items()},
    }


def summarise(samples: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Median, min and max of every figure."""
    out = {}
    for key in samples[0]:
        values = sorted(s[key] for s in samples)
        out[key] = {"median": values[len(values) // 2], "min": values[0], "max": values[-1]}
    return out


def format_result(result: dict[str, Any]) -> str:
    """A table of the limits."""
    rows = ["                             median        min        max"]
    for key, figure in result["summary"].items():
        rows.append(
            f"{key:<26} {figure['median']:>10.0f} {figure['min']:>10.0f} {figure['max']:>10.0f}"
        )
    return "\n".join(rows)
