"""KPIs through the HTTP API, computed from events stored by the real consumer: the
scripted day of tests/kpi_day.py published as routing changes, and a handful of cases
solved, reopened and rated, each figure worked out by hand."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from cc_common.auth import Role
from cc_common.events import (
    Channel,
    Envelope,
    RoutingChange,
    TaskState,
    routing_event_type,
    utc_now,
)
from cc_common.topics import ROUTING
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, email_identity, message
from tests.kpi_day import ANA, BILLING, CHANGES, DAY_END, DAY_START, WEBCHAT, WHOLE_DAY

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def kpis(api: CaseApi, start: Any, end: Any, **filters: str) -> dict[str, Any]:
    response = await api.client.get(
        "/v1/kpis",
        params={"from": start.isoformat(), "to": end.isoformat(), **filters},
        headers=api.auth("acme", Role.SUPERVISOR),
    )
    assert response.status_code == 200, response.text
    figures: dict[str, Any] = response.json()
    return figures


async def test_routing_figures_of_the_scripted_day(api: CaseApi) -> None:
    tasks = {name: uuid.uuid4() for name in {c["task_id"] for c in CHANGES}}
    for sequence, change in enumerate(CHANGES, start=1):
        state = TaskState(change["state"])
        await api.producer.publish(
            ROUTING.name,
            Envelope[RoutingChange](
                id=uuid.uuid4(),
                type=routing_event_type(state),
                tenant_id="acme",
                occurred_at=change["at"],
                source="test",
                data=RoutingChange(
                    task_id=tasks[change["task_id"]],
                    interaction_id=uuid.uuid4(),
                    conversation_key=f"conv-{change['task_id']}",
                    channel=Channel(change["channel"]),
                    state=state,
                    queue=change["queue"],
                    agent_id=change["agent_id"],
                    wait_seconds=change["wait_seconds"],
                    sequence=sequence,
                ),
            ),
        )

    async def all_stored() -> bool:
        return bool((await kpis(api, DAY_START, DAY_END))["routing"] == WHOLE_DAY)

    await eventually(all_stored, timeout=20, what="the day's routing stored")
    assert (await kpis(api, DAY_START, DAY_END, queue="billing"))["routing"] == BILLING
    assert (await kpis(api, DAY_START, DAY_END, agent_id="ana"))["routing"] == ANA
    assert (await kpis(api, DAY_START, DAY_END, channel="webchat"))["routing"] == WEBCHAT
    # The next day holds no task queued in it (T5 was queued on the 2nd).
    next_day = await kpis(api, DAY_END, DAY_END + timedelta(days=1))
    assert next_day["routing"]["offered"] == 0
    # Agents may not read KPIs; a period must be sane.
    agent = await api.client.get(
        "/v1/kpis",
        params={"from": DAY_START.isoformat(), "to": DAY_END.isoformat()},
        headers=api.auth("acme"),
    )
    assert agent.status_code == 403
    backwards = await api.client.get(
        "/v1/kpis",
        params={"from": DAY_END.isoformat(), "to": DAY_START.isoformat()},
        headers=api.auth("acme", Role.SUPERVISOR),
    )
    assert backwards.status_code == 422


async def test_case_figures_after_solves_reopens_and_ratings(api: CaseApi) -> None:
    """A solved at once (first-contact resolution), B pending then answered by the
    customer then solved, C solved then reopened by the customer then solved again,
    D open, E new. Ratings: A 4, B 2, E 5.
    solved 3, fcr 1/3, reopen rate 1/3, backlog 2, CSAT 2 of 3 satisfied, average 3.67."""
    start = utc_now() - timedelta(minutes=5)
    names = "ABCDE"
    addresses = {n: f"{n.lower()}-{uuid.uuid4().hex[:6]}@example.org" for n in names}
    for name in names:
        address = addresses[name]
        await api.publish(message("acme", f"mail:{address}", [email_identity(address)]))
    cases: dict[str, str] = {}
    for name in names:
        customer = await api.customer_of("acme", f"email:{addresses[name]}")
        cases[name] = (await api.cases_of("acme", customer["id"]))[0]["id"]

    async def set_status(name: str, status: str) -> None:
        current = await api.client.get(f"/v1/cases/{cases[name]}", headers=api.auth("acme"))
        headers = {**api.auth("acme"), "If-Match": current.headers["ETag"]}
        done = await api.client.patch(
            f"/v1/cases/{cases[name]}", json={"status": status}, headers=headers
        )
        assert done.status_code == 200, done.text

    async def customer_writes_and_case_opens(name: str) -> None:
        address = addresses[name]
        await api.publish(message("acme", f"mail:{address}", [email_identity(address)]))

        async def opened() -> bool:
            case = await api.get(f"/v1/cases/{cases[name]}", "acme")
            return bool(case["status"] == "open")

        await eventually(opened, timeout=20, what=f"case {name} open again")

    # A is answered with a knowledge article: "the FAQ solved it" for one of three.
    supervisor = api.auth("acme", Role.SUPERVISOR)
    article = await api.client.post(
        "/v1/articles", json={"title": "送料", "body": "送料は550円です"}, headers=supervisor
    )
    await api.client.post(f"/v1/articles/{article.json()['id']}/publish", headers=supervisor)
    used = await api.client.post(
        f"/v1/cases/{cases['A']}/knowledge-used",
        json={"article_id": article.json()["id"]},
        headers=api.auth("acme"),
    )
    assert used.status_code == 200, used.text
    await set_status("A", "solved")
    await set_status("B", "pending")
    await customer_writes_and_case_opens("B")
    await set_status("B", "solved")
    await set_status("C", "solved")
    await customer_writes_and_case_opens("C")
    await set_status("C", "solved")
    await set_status("D", "open")
    survey = api.auth("acme", Role.INTEGRATION)
    for name, score in (("A", 4), ("B", 2), ("E", 5)):
        rated = await api.client.put(
            f"/v1/cases/{cases[name]}/csat", json={"score": score}, headers=survey
        )
        assert rated.status_code == 200, rated.text

    figures = await kpis(api, start, utc_now() + timedelta(minutes=5))
    assert figures["cases"] == {
        "solved": 3,
        "fcr": 0.3333,
        "reopen_rate": 0.3333,
        "solved_with_article": 0.3333,
        "backlog": 2,
        "csat_responses": 3,
        "csat_score": 0.6667,
        "csat_average": 3.67,
        "nps_responses": 0,
        "nps": None,
    }
    by_channel = await kpis(api, start, utc_now() + timedelta(minutes=5), channel="voice")
    assert by_channel["cases"]["solved"] == 0
