"""The demo scenario: one customer writes by chat, then by email, then calls."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from cc_common.auth import Role, issue_token
from cc_common.settings import AuthSettings
from contactcenter_cli.stack import Stack

TENANT = "demo"
CUSTOMER_EMAIL = "hanako.yamada@example.jp"
CUSTOMER_PHONE = "+819012345678"


def _wait_for_entries(
    client: httpx.Client, case_url: str, token: str, count: int, timeout: float = 30.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        found = client.get(
            f"{case_url}/v1/customers",
            params={"identity": f"email:{CUSTOMER_EMAIL}"},
            headers=headers,
        ).json()
        if found:
            page = client.get(
                f"{case_url}/v1/customers/{found[0]['id']}/timeline",
                params={"limit": 100},
                headers=headers,
            ).json()
            if len(page["items"]) >= count:
                return {"customer": found[0], "timeline": page["items"]}
        time.sleep(0.3)
    raise TimeoutError(f"the timeline did not reach {count} entries in {timeout}s")


def run_demo(stack: Stack) -> dict[str, Any]:
    """Send the scenario through the ingest services and return the unified timeline."""
    auth = AuthSettings(jwt_secret=stack.config.dev_secret())
    integration = issue_token(auth, subject="demo-pbx", tenant_id=TENANT, roles=[Role.INTEGRATION])
    agent = issue_token(auth, subject="demo-agent", tenant_id=TENANT, roles=[Role.AGENT])
    case_url = stack.url("case")
    with httpx.Client(timeout=10) as client:
        conversation = (
            client.post(
                f"{stack.url('ingest-chat')}/v1/webchat/conversations",
                json={
                    "tenant_id": TENANT,
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
        _wait_for_entries(client, case_url, agent, count=2)

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
        _wait_for_entries(client, case_url, agent, count=4)

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
        return _wait_for_entries(client, case_url, agent, count=7)


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
