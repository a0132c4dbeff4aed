"""The resilience run in its short form: mixed traffic on all four channels while each
service in turn is killed with SIGKILL and restarted, then the database is killed and
restarted over its data and the broker paused for 15 s (a broker and database of the
run's own), with agents accepting, answering, completing and transferring work all
along; every accepted event is then on its customer's timeline exactly once,
every conversation has one open task at a time, no agent was offered more than its
capacity, the agents' replies made meanwhile were each sent once and settled, and an
integrator's webhook endpoint received every case.changed published
(``contactcenter chaos`` is the long form: a higher rate, more customers, longer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contactcenter_cli.chaos import FAULTS, Plan, drive, format_report
from contactcenter_cli.chaos_load import stack_env
from contactcenter_cli.processes import free_port
from contactcenter_cli.stack import Stack, private_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

PLAN = Plan(rate=8, warmup=4, interval=5, customers=3, settle_timeout=120, services=FAULTS)


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

    assert [k.service for k in report.kills] == list(FAULTS)
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
    # Agents worked through the faults: every reply was sent once and settled.
    assert report.desk["actions"].get("accept", 0) > 0, summary
    assert sum(r.made for r in report.replies) > 0, summary
    for reply in report.replies:
        assert (reply.failed, reply.stuck, reply.doubled, reply.missing) == (0, 0, 0, 0), summary
    # The integrator's endpoint got every case.changed the case service published.
    assert report.webhooks is not None, summary
    assert report.webhooks.published > 0, summary
    assert report.webhooks.lost == 0, summary
    assert report.dead_letters == {}, summary
