"""Tenant isolation over every endpoint of the case API, and its audit log.

The operations come from the service's own OpenAPI document: an endpoint added
without a row here fails the test until someone decides what isolation means for it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from cc_common.auth import Role
from cc_common.events import IdentityKind, utc_now
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, email_identity, identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ALL_ROLES = tuple(Role)
STREAM = 0
NOTE = {"text": "x"}
# (method, path template) -> (body, what another tenant gets)
OPERATIONS: dict[tuple[str, str], tuple[dict[str, Any] | None, int]] = {
    ("get", "/v1/customers/{customer_id}"): (None, 404),
    ("patch", "/v1/customers/{customer_id}"): ({"tier": "x"}, 404),
    ("post", "/v1/customers/{customer_id}/identities"): (
        {"kind": "email", "value": "i@x.org"},
        404,
    ),
    ("get", "/v1/customers/{customer_id}/cases"): (None, 404),
    ("get", "/v1/customers/{customer_id}/timeline"): (None, 404),
    ("post", "/v1/customers/{customer_id}/callbacks"): ({}, 404),
    ("post", "/v1/customers/{customer_id}/merges"): (
        {"source_customer_id": "{other_customer_id}", "reason": "r"},
        404,
    ),
    ("get", "/v1/customers/{customer_id}/merges"): (None, 404),
    ("get", "/v1/cases/{case_id}"): (None, 404),
    ("patch", "/v1/cases/{case_id}"): ({"priority": "low"}, 404),
    ("post", "/v1/cases/{case_id}/notes"): (NOTE, 404),
    ("post", "/v1/cases/{case_id}/typing"): ({"active": True}, 404),
    ("get", "/v1/entries/{entry_id}/attachments/{n}"): (None, 404),
    ("put", "/v1/cases/{case_id}/csat"): ({"score": 1}, 404),
    ("get", "/v1/cases/{case_id}/timeline"): (None, 404),
    ("post", "/v1/cases/{case_id}/merges"): (
        {"source_case_id": "{case_id}", "reason": "r"},
        404,
    ),
    ("post", "/v1/cases/{case_id}/split"): ({"entry_ids": ["{case_id}"]}, 404),
    ("post", "/v1/cases/{case_id}/replies"): ({"text": "x"}, 404),
    ("put", "/v1/cases/{case_id}/read"): (None, 404),
    ("post", "/v1/replies/{reply_id}/approve"): (None, 404),
    ("post", "/v1/replies/{reply_id}/reject"): ({"reason": "r"}, 404),
    ("put", "/v1/cases/{case_id}/presence"): ({"state": "viewing"}, 404),
    ("get", "/v1/cases/{case_id}/presence"): (None, 404),
    ("put", "/v1/articles/{article_id}"): ({"title": "t", "body": "b"}, 404),
    ("post", "/v1/articles/{article_id}/publish"): (None, 404),
    ("get", "/v1/cases/{case_id}/suggestions"): (None, 404),
    ("post", "/v1/cases/{case_id}/knowledge-used"): ({"article_id": "{article_id}"}, 404),
    # Public by design (no token): the path names the tenant, and only published
    # articles are shown; acme's article is a draft, so nothing of it appears.
    ("get", "/v1/help/{tenant_id}/articles"): (None, 200),
    ("get", "/v1/help/{tenant_id}/articles/{article_id}"): (None, 404),
    ("put", "/v1/macros/{macro_id}"): ({"title": "t", "scope": "agent", "text": "x"}, 404),
    ("delete", "/v1/macros/{macro_id}"): (None, 404),
    ("post", "/v1/cases/{case_id}/macros/{macro_id}/preview"): (None, 404),
    ("post", "/v1/cases/{case_id}/macros/{macro_id}/apply"): ({}, 404),
    ("post", "/v1/merges/{merge_id}/undo"): (None, 404),
    ("post", "/v1/merge-proposals/{proposal_id}/accept"): (None, 404),
    ("post", "/v1/merge-proposals/{proposal_id}/dismiss"): (None, 404),
    # Commands for the router, which keeps one engine per tenant: another tenant's
    # task id is unknown there and the action is refused (router tests).
    ("post", "/v1/tasks/{task_id}/actions"): ({"action": "accept"}, 202),
    ("put", "/v1/agents/me/presence"): ({"presence": "available"}, 202),
    # Collections: answered, holding nothing of the other tenant (checked below).
    ("get", "/v1/customers"): (None, 200),
    ("get", "/v1/search"): (None, 200),
    ("get", "/v1/unread"): (None, 200),  # another tenant's case counts 0 (checked below)
    ("get", "/v1/reply-templates"): (None, 200),  # the caller's tenant's own list
    ("get", "/v1/macros"): (None, 200),  # the caller's tenant's (none of acme's)
    ("get", "/v1/approvals"): (None, 200),  # likewise
    ("get", "/v1/articles"): (None, 200),  # likewise
    ("post", "/v1/articles"): ({"title": "t", "body": "b"}, 201),
    ("post", "/v1/macros"): ({"title": "t", "scope": "agent", "text": "x"}, 201),
    ("get", "/v1/merge-proposals"): (None, 200),
    ("get", "/v1/audit"): (None, 200),
    ("get", "/v1/kpis"): (None, 200),
    ("get", "/v1/queues"): (None, 503),  # no router in this test; the router scopes it
    ("get", "/v1/agents/me/tasks"): (None, 503),  # likewise: the caller's tenant, own tasks
    ("get", "/v1/agents"): (None, 503),  # likewise: the caller's tenant's agents
    ("post", "/v1/webhooks"): ({"url": "https://hooks.example.com/x", "events": ["*"]}, 201),
    ("get", "/v1/webhooks"): (None, 200),
    ("post", "/v1/webhooks/{webhook_id}/rotate-secret"): (None, 404),
    ("delete", "/v1/webhooks/{webhook_id}"): (None, 404),
    ("get", "/v1/webhooks/{webhook_id}/deliveries"): (None, 404),
    ("post", "/v1/webhooks/deliveries/{delivery_id}/redrive"): (None, 404),
    # An endless stream: test_case_live.py shows another tenant receives nothing.
    ("get", "/v1/events"): (None, STREAM),
}


async def acme_world(api: CaseApi) -> dict[str, str]:
    """One of everything in tenant acme: customers, a case, a merge, a proposal."""
    first, second, third = (f"{uuid.uuid4().hex[:8]}@example.org" for _ in range(3))
    visitor = f"v-{uuid.uuid4().hex[:8]}"
    for address in (first, second, third):
        await api.publish(
            message("acme", f"mail:{address}", [email_identity(address)], text="secret 機密")
        )
    chat = identity(IdentityKind.WEBCHAT_VISITOR_ID, visitor)
    await api.publish(message("acme", f"chat:{visitor}", [chat]))
    customer = await api.customer_of("acme", f"email:{first}")
    other = await api.customer_of("acme", f"email:{second}")
    await api.customer_of("acme", f"email:{third}")
    await api.customer_of("acme", f"webchat_visitor_id:{visitor}")
    await api.publish(
        message("acme", f"chat:{visitor}", [chat, email_identity(third, verified=False)])
    )
    cases = await api.get(f"/v1/customers/{customer['id']}/cases", "acme")
    merge = await api.client.post(
        f"/v1/customers/{customer['id']}/merges",
        json={"source_customer_id": other["id"], "reason": "same"},
        headers=api.auth("acme"),
    )
    assert merge.status_code == 201, merge.text
    supervisor = api.auth("acme", Role.SUPERVISOR)

    async def proposal() -> str | None:
        found = (await api.client.get("/v1/merge-proposals", headers=supervisor)).json()
        return str(found[0]["id"]) if found else None

    hook = await api.client.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/acme", "events": ["case.changed"]},
        headers=api.auth("acme", Role.ADMIN),
    )
    assert hook.status_code == 201, hook.text
    macro = await api.client.post(
        "/v1/macros",
        json={"title": "secret 機密", "scope": "tenant", "text": "secret 機密"},
        headers=supervisor,
    )
    assert macro.status_code == 201, macro.text
    article = await api.client.post(
        "/v1/articles", json={"title": "secret 機密", "body": "secret 機密"}, headers=supervisor
    )
    assert article.status_code == 201, article.text
    return {
        "tenant_id": "acme",
        "reply_id": str(uuid.uuid4()),
        "article_id": article.json()["id"],
        "macro_id": macro.json()["id"],
        "webhook_id": hook.json()["id"],
        "delivery_id": str(uuid.uuid4()),
        "customer_id": customer["id"],
        "other_customer_id": other["id"],
        "case_id": cases[0]["id"],
        "merge_id": merge.json()["id"],
        "proposal_id": await eventually(proposal, timeout=20, what="a proposal"),
        "task_id": str(uuid.uuid4()),
        "email": first,
        "entry_id": (await api.get(f"/v1/cases/{cases[0]['id']}/timeline", "acme"))["items"][0][
            "id"
        ],
        "n": 0,
    }


async def test_no_endpoint_lets_another_tenant_read_or_change_anything(api: CaseApi) -> None:
    world = await acme_world(api)
    case_before = (
        await api.client.get(f"/v1/cases/{world['case_id']}", headers=api.auth("acme"))
    ).json()
    timeline_before = await api.get(f"/v1/cases/{world['case_id']}/timeline", "acme")

    document = (await api.client.get("/openapi.json")).json()
    listed = {(m, path) for path, ops in document["paths"].items() for m in ops}
    assert listed == set(OPERATIONS), "add the new endpoint to OPERATIONS with its isolation"

    intruder = api.auth("intruder", *ALL_ROLES, subject="mallory")
    intruder_with_etag = {**intruder, "If-Match": '"1"'}
    params = {
        "identity": f"email:{world['email']}",
        "q": "機密",
        "scope": "messages",
        "from": "2000-01-01T00:00:00Z",
        "to": "2000-03-01T00:00:00Z",
        "case_id": world["case_id"],
    }
    for (method, template), (body, expected) in OPERATIONS.items():
        if expected == STREAM:
            continue
        path = template.format(**world)
        filled = {k: _filled(v, world) for k, v in body.items()} if body is not None else None
        response = await api.client.request(
            method.upper(), path, json=filled, headers=intruder_with_etag, params=params
        )
        assert response.status_code == expected, f"{method} {template}: {response.text}"
        if template == "/v1/audit":
            # The intruder's own attempts name acme's ids; nothing of acme's people.
            assert {r["actor"] for r in response.json()} <= {"mallory"}
        elif expected == 200:
            assert world["customer_id"] not in response.text, f"{method} {template} leaked"
            assert world["email"] not in response.text, f"{method} {template} leaked"
            assert "機密" not in response.text or template == "/v1/search"

    search = await api.client.get("/v1/search", params={"q": "機密"}, headers=intruder)
    assert search.json()["hits"] == []
    unread = await api.client.get(
        "/v1/unread", params={"case_id": world["case_id"]}, headers=intruder
    )
    assert unread.json()["cases"] == {world["case_id"]: 0}
    now = utc_now()
    period = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }
    figures = (await api.client.get("/v1/kpis", params=period, headers=intruder)).json()
    assert figures["cases"]["backlog"] == 0
    acme = api.auth("acme", Role.SUPERVISOR)
    assert (await api.client.get("/v1/kpis", params=period, headers=acme)).json()["cases"][
        "backlog"
    ] > 0
    # Nothing of acme changed.
    case_after = (
        await api.client.get(f"/v1/cases/{world['case_id']}", headers=api.auth("acme"))
    ).json()
    assert case_after == case_before
    assert await api.get(f"/v1/cases/{world['case_id']}/timeline", "acme") == timeline_before
    merges = await api.get(f"/v1/customers/{world['customer_id']}/merges", "acme")
    assert [m["state"] for m in merges] == ["active"]
    supervisor = api.auth("acme", Role.SUPERVISOR)
    proposals = (await api.client.get("/v1/merge-proposals", headers=supervisor)).json()
    assert [p["id"] for p in proposals] == [world["proposal_id"]]
    hooks = (await api.client.get("/v1/webhooks", headers=api.auth("acme", Role.ADMIN))).json()
    assert [h["url"] for h in hooks] == ["https://hooks.example.com/acme"]

    # The audit log: acme's records show acme's people; the intruder's attempts are
    # recorded under the intruder's tenant, every one refused.
    async def audited() -> list[dict[str, Any]] | None:
        response = await api.client.get(
            "/v1/audit", params={"resource_id": world["case_id"]}, headers=supervisor
        )
        records: list[dict[str, Any]] = response.json()
        return records or None

    acme_records = await eventually(audited, timeout=10, what="acme's audit records")
    assert {r["actor"] for r in acme_records} == {"agent-1"}
    assert {r["route"] for r in acme_records} >= {
        "/v1/cases/{case_id}",
        "/v1/cases/{case_id}/timeline",
    }

    async def attempted() -> list[dict[str, Any]] | None:
        # Audit records are written in batches every half second.
        own = await api.client.get(
            "/v1/audit", params={"actor": "mallory", "limit": 500}, headers=intruder
        )
        found = [r for r in own.json() if world["case_id"] in r["resource_ids"]]
        return found if {r["action"] for r in found} == {"read", "change"} else None

    attempts = await eventually(attempted, timeout=10, what="the intruder's audit records")
    assert {r["status"] for r in attempts} == {404}
    assert {r["action"] for r in attempts} == {"read", "change"}


def _filled(value: Any, world: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, list):
        return [_filled(v, world) for v in value]
    return value
