"""Emails accepted per second over SMTP and the upload endpoint, beside raw produce.

Starts a private broker, database and ingest-email; in each run measures raw
aiokafka produce of 1 KB messages (acks=all), then ~1 KB messages with unique
Message-IDs through the upload endpoint (wrk) and over SMTP (concurrent
aiosmtplib sessions, one message per transaction, each answered 250 only once
the event is durable).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import aiosmtplib

from cc_common.auth import Role, issue_token
from cc_common.settings import AuthSettings
from contactcenter_cli.bench_limits import mongo_rates
from contactcenter_cli.bench_table import summarise, table
from contactcenter_cli.bench_voice import raw_produce_rate, run_wrk
from contactcenter_cli.processes import free_port, require_wrk
from contactcenter_cli.stack import LOAD_GENERATOR_LIMITS, private_stack

TENANT = "bench"
ADDRESS = "support@bench.example"
PADDING = "The order arrived damaged; please advise on a replacement. " * 14


def message(tag: str) -> bytes:
    """A ~1 KB plain-text mail with a unique Message-ID."""
    return (
        "From: Bench Customer <customer@example.org>\r\n"
        f"To: {ADDRESS}\r\n"
        "Subject: Damaged order\r\n"
        f"Message-ID: <{tag}@bench.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{PADDING}\r\n"
    ).encode()


def _wrk_script(path: Path, token: str) -> None:
    body = json.dumps(message("ID").decode())
    path.write_text(
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        '  local tag = n .. "-" .. math.random(1, 1000000000)\n'
        f'  local body = string.gsub({body}, "ID", tag, 1)\n'
        '  return wrk.format("POST", nil, {["Content-Type"] = "message/rfc822",'
        f' ["Authorization"] = "Bearer {token}"}}, body)\n'
        "end\n"
    )


async def smtp_rate(port: int, *, seconds: float, sessions: int) -> dict[str, float]:
    """Messages/s and latency over ``sessions`` concurrent SMTP connections."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def session(number: int) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
        await client.connect()
        sent = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await client.sendmail(
                "customer@example.org", [ADDRESS], message(f"s{number}-{sent}-{uuid.uuid4().hex}")
            )
            latencies.append(time.perf_counter() - started)
            sent += 1
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(session(i) for i in range(sessions)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "smtp_messages_per_s": len(ordered) / elapsed,
        "smtp_p50_ms": statistics.median(ordered) * 1000,
        "smtp_p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
    }


def run(*, seconds: int = 8, connections: int = 16, runs: int = 3) -> dict[str, Any]:
    """Measure ``runs`` times; every figure is reported as median, min and max."""
    require_wrk()
    with private_stack(
        "ingest-email",
        extra_env={
            "EMAIL_TENANTS": json.dumps({TENANT: {"addresses": [ADDRESS]}}),
            **LOAD_GENERATOR_LIMITS,
        },
        smtp_port=free_port(),
    ) as stack:
        token = issue_token(
            AuthSettings(jwt_secret=stack.config.dev_secret()),
            subject="bench",
            tenant_id=TENANT,
            roles=[Role.INTEGRATION],
        )
        script = stack.config.data_dir / "upload.lua"
        _wrk_script(script, token)
        url = f"{stack.url('ingest-email')}/v1/messages"
        results = []
        for _ in range(runs):
            produce = asyncio.run(raw_produce_rate(stack))
            mongo = asyncio.run(mongo_rates(stack.config, 3000))["insert_one_per_s"]
            upload = run_wrk(script, url, seconds=seconds, connections=connections)
            smtp = asyncio.run(
                smtp_rate(stack.config.smtp_port, seconds=seconds, sessions=connections)
            )
            results.append(
                {
                    "raw_produce_per_s": produce,
                    "raw_insert_one_per_s": mongo,
                    "upload_per_s": upload["requests_per_s"],
                    "upload_p50_ms": upload["p50_ms"],
                    "upload_p99_ms": upload["p99_ms"],
                    "upload_non_2xx": upload["non_2xx"],
                    **smtp,
                }
            )
    return {"runs": results, "summary": summarise(results, ROWS)}


ROWS = (
    ("raw produce, 1 KB msg/s", "raw_produce_per_s"),
    ("raw Mongo insert_one/s", "raw_insert_one_per_s"),
    ("upload msg/s (202)", "upload_per_s"),
    ("upload p50 ms", "upload_p50_ms"),
    ("upload p99 ms", "upload_p99_ms"),
    ("SMTP msg/s (250)", "smtp_messages_per_s"),
    ("SMTP p50 ms", "smtp_p50_ms"),
    ("SMTP p99 ms", "smtp_p99_ms"),
)


def format_result(result: dict[str, Any]) -> str:
    s = result["summary"]
    produce = s["raw_produce_per_s"]["median"]
    return "\n".join(
        [
            *table(s, ROWS),
            f"upload is {s['upload_per_s']['median'] / produce:.1%} and SMTP"
            f" {s['smtp_messages_per_s']['median'] / produce:.1%} of the raw produce rate;"
            f" upload is {s['upload_per_s']['median'] / s['raw_insert_one_per_s']['median']:.1%}"
            " of one client's sequential MongoDB inserts (each mail costs two writes"
            " and one read).",
        ]
    )
