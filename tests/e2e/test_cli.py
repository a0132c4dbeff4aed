"""The `contactcenter` command's tools: DLQ list and replay, benchmarks against a given
broker and database (`up --demo`, `send` and Ctrl-C: ``test_first_hour.py``)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from cc_common.kafka.admin import ensure_topics
from cc_common.kafka.dead_letters import Failure, dead_letter_headers
from cc_common.kafka.producer import EventProducer
from cc_common.settings import KafkaSettings
from contactcenter_cli.bench_limits import kafka_rates, mongo_rates
from contactcenter_cli.stack import External, StackConfig, private_stack, use_external

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLI = [sys.executable, "-m", "contactcenter_cli.main"]


def test_dlq_list_and_replay_from_the_command_line(infra: StackConfig, unique: str) -> None:
    env = {
        **os.environ,
        "CC_KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "CC_KAFKA_TOPIC_SUFFIX": f".cli{unique}",
    }
    settings = KafkaSettings(
        bootstrap_servers=infra.bootstrap_servers, topic_suffix=f".cli{unique}"
    )

    async def seed() -> None:
        await ensure_topics(settings)
        producer = EventProducer(settings)
        await producer.start()
        failure = Failure(
            "UndecodableEvent", "invalid envelope", "cc.interactions.v1", 0, 7, "g", 1
        )
        headers = dead_letter_headers([("id", b"evt-1")], failure)
        await producer.send_raw_many("cc.interactions.v1.dlq", [(b"acme", b"poison", headers)])
        await producer.stop()

    asyncio.run(seed())
    listed = subprocess.run(
        [*CLI, "dlq", "list", "cc.interactions.v1", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [entry] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert entry["event_id"] == "evt-1"
    assert entry["error_type"] == "UndecodableEvent"
    assert entry["payload_preview"] == "poison"

    refused = subprocess.run(
        [*CLI, "dlq", "replay", "cc.interactions.v1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    replayed = subprocess.run(
        [*CLI, "dlq", "replay", "cc.interactions.v1", "--id", "evt-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Replayed 1 message(s) to cc.interactions.v1." in replayed.stdout


def test_benchmarks_run_against_a_broker_and_database_given_by_address(
    infra: StackConfig,
) -> None:
    """``--kafka`` / ``--mongo``: no Tansu or SecantusDB is started; the run gets topics
    and databases of its own on the given ones."""
    use_external(External(infra.bootstrap_servers, infra.mongo_url))
    try:
        with private_stack(infrastructure_only=True) as stack:
            assert not stack.broker.alive()
            assert not stack.database.alive()
            assert stack.config.bootstrap_servers == infra.bootstrap_servers
            assert stack.config.topic_suffix.startswith(".run")
            produce, consume = asyncio.run(kafka_rates(stack.config, 2_000))
            mongo = asyncio.run(mongo_rates(stack.config, 200))
    finally:
        use_external(None)
    assert produce > 0
    assert consume > 0
    assert mongo["insert_one_per_s"] > 0
    with private_stack(infrastructure_only=True) as own:
        assert own.broker.alive(), "without an address, the stack starts its own again"
