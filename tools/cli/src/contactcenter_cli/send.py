"""``contactcenter send CHANNEL``: one inbound message as the provider would deliver it.

Builds the provider's documented webhook payload (the shapes of ``tests/corpus``),
signs it with the demo tenant's credentials the way the provider signs (LINE's
``X-Line-Signature``, Meta's ``X-Hub-Signature-256``, Telegram's secret token header,
Twilio's ``X-Twilio-Signature``), and posts it to the running stack; mail goes over
SMTP. The defaults write as the demo customer, so every channel lands on her one
timeline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

import httpx

from cc_common.signatures import twilio_signature
from contactcenter_cli.demo_channels import (
    CUSTOMER_EMAIL,
    CUSTOMER_NAME,
    CUSTOMER_PHONE,
    DEMO_TENANT,
    SUPPORT_ADDRESS,
    TWILIO_NUMBER,
    WHATSAPP_DISPLAY_NUMBER,
    WHATSAPP_PHONE_NUMBER_ID,
    DemoChannels,
)

DEFAULT_SENDERS = {
    "line": "U" + hashlib.md5(b"hanako", usedforsecurity=False).hexdigest(),
    "messenger": "5824117434317231",
    "whatsapp": CUSTOMER_PHONE,
    "telegram": "7165437311",
    "sms": CUSTOMER_PHONE,
    "twilio-call": CUSTOMER_PHONE,
    "email": CUSTOMER_EMAIL,
}
CHANNELS = tuple(DEFAULT_SENDERS)


@dataclass(frozen=True, slots=True)
class Post:
    """One signed webhook request: which service, which path, body, headers."""

    service: str
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TwilioForm:
    """A Twilio form post, signed once its full URL is known (Twilio signs the URL)."""

    service: str
    path: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class Mail:
    message: EmailMessage


Delivery = Post | TwilioForm | Mail


def _millis() -> int:
    return int(time.time() * 1000)


def _json(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def line(channels: DemoChannels, sender: str, text: str) -> list[Delivery]:
    """A LINE Messaging API webhook with one text message event."""
    body = _json(
        {
            "destination": "U" + "0" * 32,
            "events": [
                {
                    "type": "message",
                    "mode": "active",
                    "timestamp": _millis(),
                    "source": {"type": "user", "userId": sender},
                    "webhookEventId": uuid.uuid4().hex[:26].upper(),
                    "deliveryContext": {"isRedelivery": False},
                    "message": {"id": str(_millis()), "type": "text", "text": text},
                }
            ],
        }
    )
    digest = hmac.new(channels.line_channel_secret.encode(), body, hashlib.sha256).digest()
    signature = base64.b64encode(digest).decode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": signature}
    return [Post("ingest-chat", f"/v1/line/{DEMO_TENANT}/webhook", body, headers)]


def _meta(channels: DemoChannels, payload: object) -> list[Delivery]:
    body = _json(payload)
    digest = hmac.new(channels.meta_app_secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}
    return [Post("ingest-chat", f"/v1/meta/{DEMO_TENANT}/webhook", body, headers)]


def messenger(channels: DemoChannels, sender: str, text: str) -> list[Delivery]:
    """A Messenger Platform webhook with one text message."""
    page = "105596035123456"
    return _meta(
        channels,
        {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": _millis(),
                    "messaging": [
                        {
                            "sender": {"id": sender},
                            "recipient": {"id": page},
                            "timestamp": _millis(),
                            "message": {"mid": f"m_{uuid.uuid4().hex}", "text": text},
                        }
                    ],
                }
            ],
        },
    )


def whatsapp(channels: DemoChannels, sender: str, text: str) -> list[Delivery]:
    """A WhatsApp Cloud API webhook with one text message."""
    wa_id = sender.lstrip("+")
    return _meta(
        channels,
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": WHATSAPP_DISPLAY_NUMBER,
                                    "phone_number_id": WHATSAPP_PHONE_NUMBER_ID,
                                },
                                "contacts": [{"profile": {"name": CUSTOMER_NAME}, "wa_id": wa_id}],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": f"wamid.{uuid.uuid4().hex}",
                                        "timestamp": str(int(time.time())),
                                        "type": "text",
                                        "text": {"body": text},
                                    }
                                ],
                            },
                            "field": "messages",
                        }
                    ],
                }
            ],
        },
    )


def telegram(channels: DemoChannels, sender: str, text: str) -> list[Delivery]:
    """A Telegram Bot API update with one private text message."""
    user = int(sender)
    body = _json(
        {
            "update_id": _millis() % 2**31,
            "message": {
                "message_id": _millis() % 2**31,
                "from": {
                    "id": user,
                    "is_bot": False,
                    "first_name": "Hanako",
                    "language_code": "ja",
                },
                "chat": {"id": user, "first_name": "Hanako", "type": "private"},
                "date": int(time.time()),
                "text": text,
            },
        }
    )
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": channels.telegram_secret_token,
    }
    return [Post("ingest-chat", f"/v1/telegram/{DEMO_TENANT}/webhook", body, headers)]


def sms(channels: DemoChannels, sender: str, text: str) -> list[Delivery]:
    """A Twilio Messaging webhook for one incoming SMS."""
    sid = f"SM{uuid.uuid4().hex}"
    fields = {
        "AccountSid": channels.twilio_account_sid,
        "ApiVersion": "2010-04-01",
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "From": sender,
        "To": TWILIO_NUMBER,
        "Body": text,
        "NumMedia": "0",
        "NumSegments": "1",
    }
    return [TwilioForm("ingest-chat", f"/v1/twilio/{DEMO_TENANT}/sms", fields)]


def twilio_call(channels: DemoChannels, sender: str, text: str) -> list[Delivery]:
    """A Twilio Voice call: the incoming webhook, then the caller pressing 1 (billing)
    in the IVR, which queues the call. ``text`` is what the caller says to the IVR."""
    call = {
        "AccountSid": channels.twilio_account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": f"CA{uuid.uuid4().hex}",
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": sender,
        "Caller": sender,
        "To": TWILIO_NUMBER,
        "Called": TWILIO_NUMBER,
    }
    base = f"/v1/twilio/{DEMO_TENANT}/voice"
    gathered = {**call, "CallStatus": "in-progress", "Digits": "1", "SpeechResult": text}
    return [
        TwilioForm("ingest-voice", f"{base}/incoming", call),
        TwilioForm("ingest-voice", f"{base}/ivr", gathered),
    ]


def email(channels: DemoChannels, sender: str, text: str) -> list[Delivery]:
    """A plain mail to the demo support address, over SMTP."""
    message = EmailMessage()
    message["From"] = f"{CUSTOMER_NAME} <{sender}>" if sender == CUSTOMER_EMAIL else sender
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = text[:60]
    message["Message-ID"] = make_msgid(domain="mail.example.jp")
    message.set_content(text)
    return [Mail(message)]


BUILDERS: dict[str, Callable[[DemoChannels, str, str], list[Delivery]]] = {
    "line": line,
    "messenger": messenger,
    "whatsapp": whatsapp,
    "telegram": telegram,
    "sms": sms,
    "twilio-call": twilio_call,
    "email": email,
}


@dataclass(frozen=True, slots=True)
class Sent:
    what: str
    status: int
    answer: str


def deliver(
    deliveries: list[Delivery],
    *,
    channels: DemoChannels,
    url_of: Callable[[str], str],
    smtp_port: int,
) -> list[Sent]:
    """Send each request in order; stops at the first one the stack refuses."""
    results: list[Sent] = []
    with httpx.Client(timeout=15) as client:
        for delivery in deliveries:
            if isinstance(delivery, Mail):
                with smtplib.SMTP("127.0.0.1", smtp_port, timeout=15) as smtp:
                    smtp.send_message(delivery.message)
                results.append(Sent(f"SMTP 127.0.0.1:{smtp_port}", 250, "queued"))
                continue
            url = url_of(delivery.service) + delivery.path
            if isinstance(delivery, TwilioForm):
                signature = twilio_signature(channels.twilio_auth_token, url, delivery.fields)
                response = client.post(
                    url, data=delivery.fields, headers={"X-Twilio-Signature": signature}
                )
            else:
                response = client.post(url, content=delivery.body, headers=delivery.headers)
            results.append(Sent(f"POST {url}", response.status_code, response.text[:300]))
            if response.status_code >= 300:
                break
    return results
