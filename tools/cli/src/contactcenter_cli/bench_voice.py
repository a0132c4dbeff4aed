"""Status callbacks per second with a durable 2xx, beside the broker's raw produce rate.

Starts a private broker and ingest-voice; measures raw aiokafka produce of 1 KB
messages (acks=all) in the same run; then drives signed Twilio status callbacks with
wrk (a load generator written in C; a Python client saturates long before the
server) and reports requests/s and latency.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cc_common.kafka.producer import EventProducer, Headers
from cc_common.signatures import twilio_signature
from contactcenter_cli.processes import require_wrk
from contactcenter_cli.stack import Stack, private_stack

TENANT = "bench"
TOKEN = "bench-twilio-auth-token-0123456789abcdef"  # noqa: S105  (a throwaway local account)


async def raw_produce_rate(stack: Stack, count: int = 20_000) -> float:
    """1 KB messages, acks=all, pipelined: the broker's own limit for one producer."""
    producer = EventProducer(stack.config.kafka_settings())
    await producer.start()
    try:
        payload = b"x" * 1024
        started = time.perf_counter()
        for start in range(0, count, 1000):
            batch: list[tuple[bytes | None, bytes, Headers]] = [
                (b"bench", payload, []) for _ in range(min(1000, count - start))
            ]
            await producer.send_raw_many("cc.agents.v1.dlq", batch)
        return count / (time.perf_counter() - started)
    finally:
        await producer.stop()


def _wrk_script(path: Path, body: str, signature: str) -> None:
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["X-Twilio-Signature"] = "{signature}"\n'
    )


def run_wrk(script: Path, url: str, *, seconds: int, connections: int) -> dict[str, float]:
    """wrk (two threads) against ``url`` with a Lua ``script``: requests/s, p50/p99 ms
    and how many answers were not 2xx."""
    wrk = require_wrk()
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    return _parse_wrk(out.stdout)


def _parse_wrk(output: str) -> dict[str, float]:
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_s": rate,
        "p50_ms": ms(percentiles["50"]),
        "p99_ms": ms(percentiles["99"]),
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def run(*, seconds: int = 10, connections: int = 32, runs: int = 3) -> dict[str, Any]:
    """Measure ``runs`` times; every figure is reported as median, min and max."""
    require_wrk()
    twilio = {TENANT: {"auth_tokens": [TOKEN]}}
    with private_stack("ingest-voice", extra_env={"VOICE_TWILIO": json.dumps(twilio)}) as stack:
        url = f"{stack.url('ingest-voice')}/v1/twilio/{TENANT}/voice/status"
        fields = {
            "AccountSid": "AC" + "0" * 32,
            "CallSid": "CA" + "1" * 32,
            "From": "+819012345678",
            "To": "+81312345678",
            "Direction": "inbound",
            "CallStatus": "ringing",
            "CallDuration": "0",
        }
        body = urlencode(fields)
        script = stack.config.data_dir / "status.lua"
        _wrk_script(script, body, twilio_signature(TOKEN, url, fields))
        results = []
        for _ in range(runs):
            produce = asyncio.run(raw_produce_rate(stack))
            results.append(
                {
                    "raw_produce_per_s": produce,
                    **run_wrk(script, url, seconds=seconds, connections=connections),
                }
            )
    return {"runs": results, "summary": _summary(results)}


def _summary(results: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for key in ("raw_produce_per_s", "requests_per_s", "p50_ms", "p99_ms"):
        values = sorted(r[key] for r in results)
        out[key] = {"median": values[len(values) // 2], "min": values[0], "max": values[-1]}
    return out


def format_result(result: dict[str, Any]) -> str:
    s = result["summary"]
    ratio = s["requests_per_s"]["median"] / s["raw_produce_per_s"]["median"]
    return "\n".join(
        [
            "                               median       min       max",
            *(
                f"{name:<28} {s[key]['median']:>9.1f} {s[key]['min']:>9.1f} {s[key]['max']:>9.1f}"
                for name, key in (
                    ("raw produce, 1 KB msg/s", "raw_produce_per_s"),
                    ("status callbacks/s (2xx)", "requests_per_s"),
                    ("callback p50 ms", "p50_ms"),
                    ("callback p99 ms", "p99_ms"),
                )
            ),
            f"callbacks/s are {ratio:.1%} of the raw produce rate (one uvicorn worker).",
        ]
    )
