"""``contactcenter bench``: every benchmark in one run, judged against its limit.

Runs the limits (raw produce and consume, MongoDB writes and reads, a bare FastAPI
endpoint, the durable reference pipeline whose HTTP and stored rates judge the ingest
doors and the end-to-end pipeline), the router core, each ingest service with durable
2xx, the open-loop end to end, and the case API; prints one table of figures, ratios
and targets, writes the whole result as JSON and draws a PNG. Each part starts its own
private broker and database, so the parts do not disturb each other (and take a while:
about 20 minutes, 5 with ``--quick``).
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from contactcenter_cli import (
    bench_case,
    bench_chat,
    bench_e2e,
    bench_email,
    bench_limits,
    bench_voice,
    bench_webhooks,
)
from contactcenter_cli import router_core_bench as router_bench

INGEST_TARGET = 0.70
E2E_TARGET = 0.70
E2E_P99_TARGET_MS = 250.0
ROUTER_TARGET = 20_000.0
IDLE_CPU_TARGET_PERCENT = 5.0


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def run(*, quick: bool = False) -> dict[str, Any]:
    runs = 1 if quick else 3
    seconds = 5 if quick else 8
    limits = bench_limits.run(runs=runs, seconds=seconds)["summary"]
    router = [
        router_bench.run(agents=1000, queues=50, waiting=10_000, decisions=20_000, seed=n)
        for n in range(runs)
    ]
    # The concurrency providers really use, the same as the reference's.
    connections = bench_limits.REFERENCE_CONNECTIONS
    voice = bench_voice.run(seconds=seconds, connections=connections, runs=runs)["summary"]
    email = bench_email.run(seconds=seconds, connections=connections, runs=runs)["summary"]
    chat = bench_chat.run(
        seconds=seconds, connections=connections, runs=runs, visitors=50 if quick else 200
    )["summary"]
    # Ten seconds a rate even when quick: shorter runs end before a queue builds up.
    e2e = bench_e2e.run(seconds=10, runs=runs, rates="10,20,30,40,60,80")["runs"]
    case = bench_case.run(runs=runs, connections=4, interactions=1000 if quick else 2000)
    webhooks = bench_webhooks.run(runs=runs)["summary"]
    return {
        "quick": quick,
        "limits": limits,
        "router": router,
        "ingest": {"voice": voice, "email": email, "chat": chat},
        "e2e": e2e,
        "case": case["summary"],
        "webhooks": webhooks,
        "judged": judge(limits, router, voice, email, chat, e2e)
        + judge_webhooks(limits, webhooks)
        + judge_reads(case["summary"]),
    }


def judge(
    limits: dict[str, Any],
    router: list[dict[str, float]],
    voice: dict[str, Any],
    email: dict[str, Any],
    chat: dict[str, Any],
    e2e: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each figure (median, min and max of the runs) beside the limit it is judged by,
    the median's ratio to it and its target."""
    # The durable reference pipeline does the same durable work as our services
    # (answer after the broker's ack; store each batch with one bulk write).
    ingest_limit = limits["reference_http_per_s"]["median"]
    stored_limit = limits["reference_stored_per_s"]["median"]
    rows = [
        _row(
            "router decisions/s (1,000 agents, 10,000 waiting)",
            spread([r["decisions_per_second"] for r in router]),
            ROUTER_TARGET,
            1.0,
        ),
        _row("Twilio status callbacks/s", voice["requests_per_s"], ingest_limit, INGEST_TARGET),
        _row("email upload/s", email["upload_per_s"], ingest_limit, INGEST_TARGET),
        _row("SMTP messages/s", email["smtp_messages_per_s"], ingest_limit, INGEST_TARGET),
        _row("LINE webhooks/s", chat["webhooks_per_s"], ingest_limit, INGEST_TARGET),
    ]
    rows.append(
        _row(
            "end to end, sustained msg/s",
            spread([sustained(run["rates"]) for run in e2e]),
            stored_limit,
            E2E_TARGET,
        )
    )
    halves = [half_saturation(run["rates"]) for run in e2e]
    offered = sorted({h["offered_per_s"] for h in halves})
    latency = spread([h["p99_ms"] for h in halves])
    limit = E2E_P99_TARGET_MS
    reference = limits.get(f"reference_p99_ms_at_{statistics.median_low(offered):.0f}")
    if reference is not None:
        # Twice the reference's p99 at the same offered rate (open loop).
        limit = 2 * reference["median"]
    at = "/".join(f"{o:.0f}" for o in offered)
    rows.append(_ceiling_row(f"end to end p99 ms at {at}/s (half of saturation)", latency, limit))
    rows.append(
        _ceiling_row(
            "idle stack, % of one core (every process)",
            spread([run["idle"]["idle_cpu_total_percent"] for run in e2e]),
            IDLE_CPU_TARGET_PERCENT,
        )
    )
    return rows


def judge_webhooks(limits: dict[str, Any], webhooks: dict[str, Any]) -> list[dict[str, Any]]:
    """The webhooks must keep up with the end-to-end target: a subscription taking
    batches, fanned out and delivered at once, against the reference's stored rate."""
    stored_limit = limits["reference_stored_per_s"]["median"]
    return [
        _row(
            f"webhooks delivered/s ({bench_webhooks.BATCHED} events a POST, fan-out running)",
            webhooks["batched_delivered_per_s"],
            stored_limit,
            E2E_TARGET,
        )
    ]


def _ceiling_row(figure: str, value: dict[str, float], limit: float) -> dict[str, Any]:
    """A figure judged against a ceiling (lower is better)."""
    row = _row(figure, value, limit, 1.0)
    return {**row, "met": value["median"] <= limit, "lower_is_better": True}


READ_TARGETS_MS = {
    "timeline page p99 ms": ("page_p99_ms", 50.0),
    "search p99 ms": ("search_p99_ms", 100.0),
    "case read p99 ms": ("case_read_p99_ms", 20.0),
    "customer read p99 ms": ("customer_read_p99_ms", 20.0),
}
"""Agents' reads, judged at each history size against a fixed latency."""


def judge_reads(case: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    rows = []
    for size in bench_case.HISTORIES:
        tag = f"{size // 1000}k"
        for figure, (key, limit) in READ_TARGETS_MS.items():
            value = case.get(f"{key}_{tag}")
            if value is None:
                continue
            rows.append(_ceiling_row(f"{figure}, customer with {size:,} entries", value, limit))
    return rows


def sustained(rates: list[dict[str, float]]) -> float:
    """The best stored rate with nothing lost or refused and a p99 under a second."""
    fine = [r for r in rates if r["lost"] == 0 and r["refused"] == 0 and r["p99_ms"] < 1000]
    return max((r["stored_per_s"] for r in fine), default=0.0)


def half_saturation(rates: list[dict[str, float]]) -> dict[str, float]:
    """The offered rate nearest half of the highest stored rate."""
    saturation = max(r["stored_per_s"] for r in rates)
    return min(rates, key=lambda r: abs(r["offered_per_s"] - saturation / 2))


def spread(values: list[float]) -> dict[str, float]:
    """Median, min and max of a figure over the runs."""
    return {"median": _median(values), "min": min(values), "max": max(values)}


def _row(figure: str, value: dict[str, float], limit: float, target: float) -> dict[str, Any]:
    ratio = value["median"] / limit if limit else 0.0
    return {
        "figure": figure,
        "value": value["median"],
        "min": value["min"],
        "max": value["max"],
        "limit": limit,
        "ratio": ratio,
        "target": target,
        "met": ratio >= target,
        "lower_is_better": False,
    }


def format_result(result: dict[str, Any]) -> str:
    lines = [
        f"{'figure':<58} {'median':>10} {'min-max':>17} {'limit':>10} {'ratio':>7}"
        f" {'target':>7}  met",
    ]
    for row in result["judged"]:
        target = f"{'<=' if row['lower_is_better'] else '>='}{row['target']:.0%}"
        extent = f"{row['min']:.1f}-{row['max']:.1f}"
        lines.append(
            f"{row['figure']:<58} {row['value']:>10.1f} {extent:>17} {row['limit']:>10.1f}"
            f" {row['ratio']:>7.1%} {target:>7}  {'yes' if row['met'] else 'NO'}"
        )
    if result["e2e"]:
        firsts = [run["idle"]["first_after_quiet_ms"] for run in result["e2e"]]
        lines.append(
            "the first message after the idle reading, POST to announced, ms: "
            + ", ".join(f"{ms:.0f}" for ms in firsts)
        )
    memory = (result["e2e"][-1].get("resident_mib") or {}) if result["e2e"] else {}
    if memory:
        lines.append(
            "resident memory after the end-to-end run, MiB: "
            + ", ".join(f"{name} {mib:.0f}" for name, mib in memory.items() if mib is not None)
        )
    lines.append(
        "figures are medians of the runs (min-max beside them); limits are medians measured"
        " in the same runs: ingest is judged by the durable reference pipeline's HTTP rate"
        " (answers after acks=all, 64 connections), end to end by its stored rate (one"
        " consumer, one bulk write per batch)."
    )
    return "\n".join(lines)


def draw(result: dict[str, Any], path: Path) -> None:
    """Ratios against their targets, and end-to-end latency against the offered rate."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    judged = [r for r in result["judged"] if not r["lower_is_better"]]
    figure, (ratios, latency) = plt.subplots(1, 2, figsize=(13, 5))
    names = [r["figure"].split(" (")[0] for r in judged]
    ratios.barh(
        names,
        [r["ratio"] for r in judged],
        color=["tab:green" if r["met"] else "tab:red" for r in judged],
    )
    for position, row in enumerate(judged):
        ratios.plot([row["target"], row["target"]], [position - 0.4, position + 0.4], color="black")
    ratios.set_xlabel("figure / its limit (black: target)")
    ratios.set_title("ratios to the limits measured in the same run")
    for number, run in enumerate(result["e2e"], start=1):
        rates = run["rates"]
        offered = [r["offered_per_s"] for r in rates]
        latency.plot(offered, [r["p50_ms"] for r in rates], marker="o", label=f"p50, run {number}")
        latency.plot(offered, [r["p99_ms"] for r in rates], marker="x", label=f"p99, run {number}")
    latency.axhline(E2E_P99_TARGET_MS, color="black", linestyle="--", label="p99 target")
    latency.set_yscale("log")
    latency.set_xlabel("offered LINE webhooks/s (open loop)")
    latency.set_ylabel("POST to stored and announced, ms")
    latency.set_title("end to end")
    latency.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
