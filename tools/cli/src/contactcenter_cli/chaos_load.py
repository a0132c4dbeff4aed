"""The resilience run's traffic: web chat, LINE, SMTP mail and Twilio calls, each sent
the way its provider would, retried with the same payload until it gets a 2xx.

Every event carries a token its channel's check can find on the customer timeline:
the text ``chaos <token>`` for messages and mail, the call's CallSid for calls. An
event is *accepted* once the service answered 2xx (durable, by the delivery rules).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiosmtplib
import httpx

from cc_common.signatures import twilio_signature
from contactcenter_cli.stack import LOAD_GENERATOR_LIMITS, Stack

TENANT = "chaos"
LINE_SECRET = "chaos-line-channel-secret-0123456789"  # noqa: S105  (a throwaway local channel)
TWILIO_TOKEN = "chaos-twilio-auth-token-0123456789ab"  # noqa: S105
SUPPORT_ADDRESS = "support@chaos.example"
CHANNELS = ("webchat", "line", "email", "voice")
RETRY_SECONDS = 0.5


def stack_env() -> dict[str, str]:
    """What the services need to take the run's traffic for the tenant."""
    return {
        "CHAT_LINE": json.dumps(
            {
                TENANT: {
                    "channel_secrets": [LINE_SECRET],
                    "access_token": "-",
                    "profile_lookup": False,
                }
            }
        ),
        "VOICE_TWILIO": json.dumps({TENANT: {"auth_tokens": [TWILIO_TOKEN]}}),
        "EMAIL_TENANTS": json.dumps(
            {TENANT: {"addresses": [SUPPORT_ADDRESS], "from_name": "Chaos Support"}}
        ),
        # The run's integrator endpoint listens on this machine.
        "CASE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        **LOAD_GENERATOR_LIMITS,
    }


def identity(channel: str, customer: int, visitors: Sequence[str] = ()) -> str:
    """The identity key a channel's customer is found by in the case API (a web-chat
    visitor by the id ingest-chat gave it: a typed email finds no customer)."""
    if channel == "webchat":
        return f"webchat_visitor_id:{visitors[customer]}"
    return {
        "line": f"line_user_id:Uchaos{customer:027d}",
        "email": f"email:writer{customer}@mail.example",
        "voice": f"phone:+8190{customer:08d}",
    }[channel]


class Refused(Exception):
    """The service did not take the event (down, restarting, or answered non-2xx)."""


@dataclass
class Ledger:
    """What the traffic achieved: accepted tokens and the failed attempts behind them."""

    accepted: dict[str, str] = field(default_factory=dict)
    """token -> channel"""
    started: dict[str, float] = field(default_factory=dict)
    """token -> when its first attempt began (perf_counter)"""
    attempts: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    given_up: Counter[str] = field(default_factory=Counter)


class Traffic:
    """Sends event ``n`` on channel ``n % 4`` to customer ``(n // 4) % customers``."""

    def __init__(
        self, stack: Stack, client: httpx.AsyncClient, *, customers: int, give_up_after: float
    ) -> None:
        self.stack = stack
        self.client = client
        self.customers = customers
        self.give_up_after = give_up_after
        self.ledger = Ledger()
        self.visitor_tokens: list[str] = []
        self.visitor_ids: list[str] = []
        self._senders: dict[str, Callable[[int, str], Awaitable[None]]] = {
            "webchat": self._webchat,
            "line": self._line,
            "email": self._email,
            "voice": self._voice,
        }

    async def open_conversations(self) -> None:
        """The web-chat visitors' conversations (each visitor types an email)."""
        for customer in range(self.customers):
            response = await self.client.post(
                f"{self.stack.url('ingest-chat')}/v1/webchat/conversations",
                json={"tenant_id": TENANT, "email": f"visitor{customer}@web.example"},
            )
            started = response.raise_for_status().json()
            self.visitor_tokens.append(started["token"])
            self.visitor_ids.append(started["visitor_id"])

    async def send(self, n: int) -> None:
        """Deliver event ``n``, retrying like a provider until accepted or given up."""
        channel = CHANNELS[n % len(CHANNELS)]
        token = uuid.uuid4().hex
        self.ledger.started[token] = time.perf_counter()
        deadline = time.monotonic() + self.give_up_after
        while True:
            self.ledger.attempts[channel] += 1
            try:
                await self._senders[channel](n, token)
            except (Refused, httpx.HTTPError, aiosmtplib.SMTPException, OSError):
                self.ledger.refusals[channel] += 1
                if time.monotonic() > deadline:
                    self.ledger.given_up[channel] += 1
                    return
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.ledger.accepted[token] = channel
            return

    def _customer(self, n: int) -> int:
        return (n // len(CHANNELS)) % self.customers

    async def _webchat(self, n: int, token: str) -> None:
        visitor = self.visitor_tokens[self._customer(n)]
        response = await self.client.post(
            f"{self.stack.url('ingest-chat')}/v1/webchat/messages",
            json={"client_message_id": token, "text": f"chaos {token}"},
            headers={"Authorization": f"Bearer {visitor}"},
        )
        _expect(response, 202)

    async def _line(self, n: int, token: str) -> None:
        user = identity("line", self._customer(n)).partition(":")[2]
        event = {
            "type": "message",
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user},
            "webhookEventId": token[:26].upper(),
            "deliveryContext": {"isRedelivery": False},
            "replyToken": token,
            "message": {"id": str(int(token[:15], 16)), "type": "text", "text": f"chaos {token}"},
        }
        body = json.dumps({"destination": "U0", "events": [event]}).encode()
        signature = base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest())
        response = await self.client.post(
            f"{self.stack.url('ingest-chat')}/v1/line/{TENANT}/webhook",
            content=body,
            headers={"Content-Type": "application/json", "X-Line-Signature": signature.decode()},
        )
        _expect(response, 200)

    async def _email(self, n: int, token: str) -> None:
        sender = identity("email", self._customer(n)).partition(":")[2]
        mail = (
            f"From: Writer <{sender}>\r\n"
            f"To: {SUPPORT_ADDRESS}\r\n"
            f"Subject: Order {token[:8]}\r\n"
            f"Message-ID: <{token}@mail.example>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"chaos {token}\r\n"
        )
        await aiosmtplib.send(
            mail.encode(),
            sender=sender,
            recipients=[SUPPORT_ADDRESS],
            hostname="127.0.0.1",
            port=self.stack.config.smtp_port,
            timeout=15,
        )

    async def _voice(self, n: int, token: str) -> None:
        """A call that rings and is queued by its IVR choice (the CallSid is the token)."""
        fields = {
            "AccountSid": "AC" + "0" * 32,
            "CallSid": f"CA{token}",
            "From": identity("voice", self._customer(n)).partition(":")[2],
            "To": "+81312345678",
            "Direction": "inbound",
            "CallStatus": "ringing",
        }
        for leaf, extra in (("incoming", {}), ("ivr", {"Digits": "1"})):
            form = {**fields, **extra}
            url = f"{self.stack.url('ingest-voice')}/v1/twilio/{TENANT}/voice/{leaf}"
            response = await self.client.post(
                url,
                content=urlencode(form),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, form),
                },
            )
            _expect(response, 200)


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise Refused(f"{response.status_code} {response.text[:200]}")


async def offer(traffic: Traffic, rate: float, until: asyncio.Event) -> None:
    """Open loop: start event ``n`` at ``n / rate`` seconds whatever the system does,
    until ``until`` is set; then wait for every event's last attempt."""
    tasks = []
    begin = time.perf_counter()
    n = 0
    while not until.is_set():
        await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(traffic.send(n)))
        n += 1
    await asyncio.gather(*tasks)
