"""The resilience run in its short form: mixed traffic on all four channels while each
service in turn is killed with SIGKILL and restarted (on a broker and database of the
run's own); every accepted event is then on its customer's timeline exactly once,
every conversation has one task, and no agent was offered more than its capacity
(``contactcenter chaos`` is the long form, which also kills the database and pauses
the broker: those faults are not in this form yet, as a run of it lost one event of
857; see the known gaps)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contactcenter_cli.chaos import SERVICES, Plan, drive, format_report
from contactcenter_cli.chaos_load import stack_env
from contactcenter_cli.processes import free_port
from contactcenter_cli.stack import Stack, private_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

PLAN = Plan(rate=8, warmup=4, interval=5, customers=3, settle_timeout=120, services=SERVICES)


@pytest.fixture(scope="module")
def chaos_stack() -> Iterator[Stack]:
    """Its own broker and database: the run kills one and pauses the other."""
    with private_stack(extra_env=stack_env(), smtp_port=free_port()) as running:
        yield running


async def test_killing_each_service_under_load_loses_and_doubles_nothing(
    chaos_stack: Stack,
) -> None:
    report = await drive(chaos_stack, PLAN)
    summary = format_report(report, PLAN)

    assert [k.service for k in report.kills] == list(SERVICES)
    assert {t.channel for t in report.tallies} >= {"webchat", "line", "email", "voice"}
    for row in report.tallies:
        assert row.lost == 0, summary
        assert row.duplicates == 0, summary
    assert sum(t.accepted for t in report.tallies) >= PLAN.rate * 40, "the load kept flowing"
    assert not any(report.given_up.values()), summary
    assert sum(report.refusals.values()) > 0, "the ingest kills were felt by the senders"
    assert report.task_states.get("offered", 0) > 0, "agents were offered work"
    assert report.tasks_lost == [], summary
    assert report.tasks_doubled == [], summary
    assert report.overbooked == [], summary
    assert all(k.caught_up_s is not None for k in report.kills), summary
    assert report.max_lag, "consumer lag was sampled"
