"""The `contactcenter` command as a newcomer runs it: `up --demo`, Ctrl-C, DLQ tools,
benchmarks against a given broker and database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cc_common.kafka.admin import ensure_topics
from cc_common.kafka.dead_letters import Failure, dead_letter_headers
from cc_common.kafka.producer import EventProducer
from cc_common.settings import KafkaSettings
from contactcenter_cli.bench_limits import kafka_rates, mongo_rates
from contactcenter_cli.processes import free_port, free_port_block
from contactcenter_cli.stack import External, StackConfig, private_stack, use_external

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLI = [sys.executable, "-m", "contactcenter_cli.main"]


def test_up_with_demo_shows_one_timeline_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    base = free_port_block(5)
    process = subprocess.Popen(
        [
            *CLI,
            "up",
            "--demo",
            "--data-dir",
            str(tmp_path),
            "--kafka-port",
            str(free_port()),
            "--mongo-port",
            str(free_port()),
            "--base-port",
            str(base),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    started = time.monotonic()
    try:
        for line in process.stdout:
            output.append(line)
            if "Press Ctrl-C to stop." in line:
                break
            assert time.monotonic() - started < 120, "".join(output)
        else:
            pytest.fail("".join(output))
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        output.append(rest)
    finally:
        if process.poll() is None:
            process.kill()
    text = "".join(output)
    assert process.returncode == 0, text
    up_line = next(line for line in output if line.startswith("Up in"))
    assert float(up_line.split()[2].rstrip("s.")) < 60
    for offset, name in enumerate(
        ("ingest-chat", "ingest-email", "ingest-voice", "router", "case")
    ):
        assert f"{name:<13} http://127.0.0.1:{base + offset}" in text
    timeline = text.split("Customer Hanako Yamada", 1)[1]
    for channel_kind in ("webchat  message", "email    message", "voice    call"):
        assert channel_kind in timeline, text
    assert "task.queued" in timeline
    assert "Stopped." in text
    for port in range(base, base + 5):
        assert _port_closed(port), f"port {port} still open after Ctrl-C"


def _port_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


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
