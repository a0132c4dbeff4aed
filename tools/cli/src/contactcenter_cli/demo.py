"""The demo scenario: one customer writes by chat, then by email, then calls.

The email and number she types in the chat are claims (anyone could type them), so
the mail and the call each raise a link proposal; the demo's supervisor accepts them
as they come, as a supervisor who checked would, and one timeline holds all three."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cc_common.auth import Role, issue_token
from cc_common.settings import AuthSettings
from contactcenter_cli.demo_channels import CUSTOMER_EMAIL, CUSTOMER_PHONE, DEMO_TENANT
from contactcenter_cli.stack import DEMO_WIDGET_KEY, Stack

TENANT = DEMO_TENANT
DEMO_AGENT = "ana"
DEMO_AGENT_PROFILE = {
    "agent_id": DEMO_AGENT,
    "display_name": "Ana",
    "skills": {"billing": 4, "tech": 3},
    "languages": ["ja", "en"],
    "capacity": {"chat": 3, "email": 5, "voice": 0},
}
"""Ana answers chats and mail, not the phone (calls wait in the voice queue)."""


Expected = dict[tuple[str, str], int]
"""(channel, kind) -> how many entries of that kind this run must see."""

CHAT_ENTRIES: Expected = {("webchat", "message"): 2, ("webchat", "task.queued"): 1}
EMAIL_ENTRIES: Expected = {("email", "message"): 1, ("email", "task.queued"): 1}
CALL_ENTRIES: Expected = {
    ("voice", "call"): 1,
    ("voice", "task.abandoned"): 1,
    ("voice", "callback.requested"): 1,
}
"""The call hangs up while queued: an abandoned task and a callback request. (The
callback's own task is queued once per customer, so a second run adds none.)"""


def missing_entries(
    timeline: list[dict[str, Any]], expected: Expected, since: datetime
) -> Expected:
    """What of ``expected`` the timeline does not show yet among entries since ``since``."""
    seen: dict[tuple[str, str], int] = {}
    for entry in timeline:
        if datetime.fromisoformat(entry["occurred_at"]) >= since:
            key = (entry["channel"], entry["kind"])
            seen[key] = seen.get(key, 0) + 1
    return {key: n - seen.get(key, 0) for key, n in expected.items() if seen.get(key, 0) < n}


def _accept_proposals(client: httpx.Client, case_url: str, supervisor: str) -> None:
    """Accept the open link proposals of the demo tenant (the supervisor's check)."""
    headers = {"Authorization": f"Bearer {supervisor}"}
    for proposal in client.get(f"{case_url}/v1/merge-proposals", headers=headers).json():
        client.post(f"{case_url}/v1/merge-proposals/{proposal['id']}/accept", headers=headers)


def _wait_for_entries(
    client: httpx.Client,
    case_url: str,
    tokens: tuple[str, str],
    expected: Expected,
    since: datetime,
    identity: str = f"email:{CUSTOMER_EMAIL}",
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Wait until this run's entries are on the customer's timeline, then return it.
    ``tokens``: an agent's, to read; a supervisor's, to accept link proposals."""
    token, supervisor = tokens
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {token}"}
    missing = expected
    while time.monotonic() < deadline:
        _accept_proposals(client, case_url, supervisor)
        found = client.get(
            f"{case_url}/v1/customers",
            params={"identity": identity},
            headers=headers,
        ).json()
        if found:
            page = client.get(
                f"{case_url}/v1/customers/{found[0]['id']}/timeline",
                params={"limit": 100},
                headers=headers,
            ).json()
            missing = missing_entries(page["items"], expected, since)
            if not missing:
                return {"customer": found[0], "timeline": page["items"]}
        time.sleep(0.3)
    raise TimeoutError(f"after {timeout}s the timeline still lacks {missing}")


DEMO_ARTICLES = [
    {
        "title": "My order has not arrived",
        "language": "en",
        "category": "Delivery",
        "keywords": ["order", "arrived", "parcel", "late"],
        "body": "If your parcel has not arrived within five business days, check the delivery"
        " status in your order history: the carrier's tracking number shows where it is.",
    },
    {
        "title": "商品がまだ届かない場合",
        "language": "ja",
        "category": "配送",
        "keywords": ["届かない", "配送", "遅延"],
        "body": "ご注文から5営業日を過ぎても届かない場合は、マイページの注文履歴で配送状況を"
        "ご確認ください。",
    },
]
DEMO_MACROS = [
    {
        "title": "Delivery delay: apology",
        "scope": "tenant",
        "language": "en",
        "text": "Hello {{customer.salutation}}, this is {{agent.name}}. I am sorry your order is"
        " late: I have asked the carrier and will update you today (case {{case.number}}).",
        "actions": {"status": "pending", "add_tags": ["delivery-delay"]},
    },
    {
        "title": "配送遅延のお詫び",
        "scope": "tenant",
        "language": "ja",
        "text": "{{customer.salutation}}、担当の{{agent.name}}です。お届けが遅れており申し訳"
        "ございません。配送業者に確認し、本日中にご連絡いたします（{{case.number}}）。",
        "actions": {"status": "pending", "add_tags": ["delivery-delay"]},
    },
]


def _seed_desk_content(client: httpx.Client, case_url: str, supervisor: str) -> None:
    """The demo tenant's knowledge articles and macros, once (a second run finds them)."""
    headers = {"Authorization": f"Bearer {supervisor}"}
    articles = client.get(f"{case_url}/v1/articles", headers=headers).raise_for_status().json()
    kept = {(a.get("draft") or a.get("published") or {}).get("title") for a in articles}
    for article in DEMO_ARTICLES:
        if article["title"] in kept:
            continue
        made = client.post(f"{case_url}/v1/articles", json=article, headers=headers)
        made.raise_for_status()
        publish = f"{case_url}/v1/articles/{made.json()['id']}/publish"
        client.post(publish, headers=headers).raise_for_status()
    macros = client.get(f"{case_url}/v1/macros", headers=headers).raise_for_status().json()
    titles = {macro["title"] for macro in macros}
    for macro in DEMO_MACROS:
        if macro["title"] not in titles:
            client.post(f"{case_url}/v1/macros", json=macro, headers=headers).raise_for_status()


def run_demo(stack: Stack) -> dict[str, Any]:
    """Send the scenario through the ingest services and return the unified timeline."""
    auth = AuthSettings(jwt_secret=stack.config.dev_secret())
    integration = issue_token(auth, subject="demo-pbx", tenant_id=TENANT, roles=[Role.INTEGRATION])
    agent = issue_token(auth, subject="demo-agent", tenant_id=TENANT, roles=[Role.AGENT])
    supervisor = issue_token(
        auth, subject="demo-supervisor", tenant_id=TENANT, roles=[Role.SUPERVISOR]
    )
    case_url = stack.url("case")
    # Entry times come from the services' clocks: a margin for a clock a little behind.
    since = datetime.now(UTC) - timedelta(seconds=1)
    with httpx.Client(timeout=10) as client:
        # An agent for the README's tour: offline until she says she is available.
        client.put(
            f"{stack.url('router')}/v1/agents/{DEMO_AGENT}",
            json=DEMO_AGENT_PROFILE,
            headers={"Authorization": f"Bearer {supervisor}"},
        ).raise_for_status()
        _seed_desk_content(client, case_url, supervisor)
        conversation = (
            client.post(
                f"{stack.url('ingest-chat')}/v1/webchat/conversations",
                json={
                    "tenant_id": TENANT,
                    "widget_key": DEMO_WIDGET_KEY,
                    "name": "Hanako Yamada",
                    "email": CUSTOMER_EMAIL,
                    "phone": CUSTOMER_PHONE,
                },
            )
            .raise_for_status()
            .json()
        )
        for i, text in enumerate(
            ["Hello, my order #4521 has not arrived.", "It was due last Friday."]
        ):
            client.post(
                f"{stack.url('ingest-chat')}/v1/webchat/messages",
                json={"client_message_id": f"m{i}", "text": text},
                headers={"Authorization": f"Bearer {conversation['token']}"},
            ).raise_for_status()
        visitor = f"webchat_visitor_id:{conversation['visitor_id']}"
        _wait_for_entries(client, case_url, (agent, supervisor), CHAT_ENTRIES, since, visitor)

        message_id = f"<{uuid.uuid4()}@mail.example.jp>"
        raw = (
            f"From: Hanako Yamada <{CUSTOMER_EMAIL}>\r\n"
            "To: support@demo.example\r\n"
            "Subject: Order #4521 still missing\r\n"
            f"Message-ID: {message_id}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "I chatted with you earlier; the parcel is still not here.\r\n"
        ).encode()
        client.post(
            f"{stack.url('ingest-email')}/v1/messages",
            content=raw,
            headers={"Content-Type": "message/rfc822", "Authorization": f"Bearer {integration}"},
        ).raise_for_status()
        _wait_for_entries(client, case_url, (agent, supervisor), EMAIL_ENTRIES, since)

        call_id = str(uuid.uuid4())
        for event, extra in (
            ("call_started", {}),
            ("ivr_input", {"ivr_digits": "2"}),
            ("queued", {"skills": ["tech"]}),
            ("ended", {"duration_seconds": 184}),
        ):
            client.post(
                f"{stack.url('ingest-voice')}/v1/cti/events",
                json={
                    "call_id": call_id,
                    "event": event,
                    "occurred_at": datetime.now(UTC).isoformat(),
                    "from_number": "090-1234-5678",
                    **extra,
                },
                headers={"Authorization": f"Bearer {integration}"},
            ).raise_for_status()
        return _wait_for_entries(client, case_url, (agent, supervisor), CALL_ENTRIES, since)


def format_timeline(result: dict[str, Any]) -> str:
    """A readable table of the customer's unified timeline, oldest first."""
    customer = result["customer"]
    identities = ", ".join(f"{i['kind']}={i['value']}" for i in customer["identities"])
    lines = [f"Customer {customer['display_name']} ({customer['id']})", f"  {identities}", ""]
    for entry in reversed(result["timeline"]):
        lines.append(
            f"  {entry['occurred_at'][:19]}  {entry['channel']:<8} {entry['kind']:<12} "
            f"{entry.get('summary') or ''}"
        )
    return "\n".join(lines)
