"""Forged signature headers (issue "Nothing forged", finding 7): a signature header with
non-ASCII text is a forgery like any other, answered 401, never 500 (the constant-time
comparison of text refuses non-ASCII with an exception). The check runs before the
request touches the broker, so the apps are driven without their runtime."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from ingest_chat.main import create_app as chat_app
from ingest_chat.settings import ChatSettings, MetaApp, TelegramBot, TwilioSms
from ingest_voice.main import create_app as voice_app
from ingest_voice.settings import TwilioAccount, VoiceSettings

pytestmark = pytest.mark.asyncio(loop_scope="session")

FORGED = "sha256=ünïcödé-ﾃｽﾄ".encode()
"""Header bytes as a forger may send them (UTF-8; the server reads them as Latin-1)."""


def chat() -> FastAPI:
    return chat_app(
        ChatSettings(
            meta={"acme": MetaApp(app_secrets=["meta-secret"], verify_tokens=["verify"])},
            twilio_sms={"acme": TwilioSms(auth_tokens=["twilio-token"])},
            telegram={"acme": TelegramBot(secret_tokens=["tg-secret"], bot_token="1:x")},
        )
    )


def voice() -> FastAPI:
    return voice_app(VoiceSettings(twilio={"acme": TwilioAccount(auth_tokens=["twilio-token"])}))


JSON, FORM = b"application/json", b"application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("app", "path", "header", "body"),
    [
        (chat, "/v1/meta/acme/webhook", b"x-hub-signature-256", (JSON, b'{"entry":[]}')),
        (chat, "/v1/twilio/acme/sms", b"x-twilio-signature", (FORM, b"Body=hi")),
        (chat, "/v1/telegram/acme/webhook", b"x-telegram-bot-api-secret-token", (JSON, b"{}")),
        (voice, "/v1/twilio/acme/voice/incoming", b"x-twilio-signature", (FORM, b"CallSid=CA1")),
        (voice, "/v1/twilio/acme/voice/status", b"x-twilio-signature", (FORM, b"CallSid=CA1")),
    ],
    ids=["meta", "twilio-sms", "telegram", "twilio-voice", "twilio-voice-status"],
)
async def test_a_non_ascii_signature_is_refused_401(
    app: Callable[[], FastAPI], path: str, header: bytes, body: tuple[bytes, bytes]
) -> None:
    content_type, content = body
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://provider") as client:
        response = await client.post(
            path, content=content, headers=[(header, FORGED), (b"content-type", content_type)]
        )
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
