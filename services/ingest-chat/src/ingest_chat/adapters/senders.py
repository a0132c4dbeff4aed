"""The send APIs of Meta (WhatsApp, Messenger, Instagram) and Telegram, over httpx."""

from __future__ import annotations

from typing import Any

import httpx

from cc_common.channels import needs_template
from cc_common.events import Channel, OutboundRequested, utc_now
from ingest_chat.adapters.line_api import PermanentSendFailure, Sent, TemporarySendFailure
from ingest_chat.settings import MetaApp, TelegramBot, TwilioSms


async def post_json(
    http: httpx.AsyncClient, url: str, body: dict[str, Any], *, token: str | None = None
) -> dict[str, Any]:
    """POST and classify: 2xx is the answer, 429/5xx/outage temporary, other 4xx permanent."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = await http.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise TemporarySendFailure(f"the provider did not answer: {exc!r}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TemporarySendFailure(f"the provider answered {response.status_code}")
    try:
        answer: Any = response.json()
    except ValueError:
        answer = {}
    if response.status_code >= 400:
        detail = answer.get("error", answer) if isinstance(answer, dict) else answer
        raise PermanentSendFailure(f"the provider refused: {response.status_code} {detail}"[:900])
    return answer if isinstance(answer, dict) else {}


class MetaSender:
    """WhatsApp Cloud API and the Messenger/Instagram Send API (Graph API)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send(self, app: MetaApp, request: OutboundRequested) -> Sent:
        base = f"{app.graph_base_url.rstrip('/')}/{app.graph_version}"
        if request.channel is Channel.WHATSAPP:
            return await self._whatsapp(app, base, request)
        if app.page_access_token is None:
            raise PermanentSendFailure("the tenant has no page access token")
        answer = await post_json(
            self._http,
            f"{base}/me/messages",
            {
                "recipient": {"id": request.recipient.value},
                "messaging_type": "RESPONSE",
                "message": {"text": (request.content.text or "")[:2000]},
            },
            token=app.page_access_token.get_secret_value(),
        )
        return Sent(_text(answer.get("message_id")), "send-api")

    async def _whatsapp(self, app: MetaApp, base: str, request: OutboundRequested) -> Sent:
        if app.whatsapp_token is None or not app.whatsapp_phone_number_id:
            raise PermanentSendFailure("the tenant has no WhatsApp number to send from")
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": request.recipient.value.lstrip("+"),
        }
        if request.template is not None:
            template = request.template
            body |= {
                "type": "template",
                "template": {
                    "name": template.name,
                    "language": {"code": template.language},
                    "components": [
                        {
                            "type": "body",
                            "parameters": [
                                {"type": "text", "text": p} for p in template.parameters
                            ],
                        }
                    ]
                    if template.parameters
                    else [],
                },
            }
        elif needs_template(Channel.WHATSAPP, request.customer_last_inbound_at, utc_now()):
            raise PermanentSendFailure(
                "outside WhatsApp's 24-hour customer-service window: send an approved template"
            )
        else:
            body |= {"type": "text", "text": {"body": (request.content.text or "")[:4096]}}
        answer = await post_json(
            self._http,
            f"{base}/{app.whatsapp_phone_number_id}/messages",
            body,
            token=app.whatsapp_token.get_secret_value(),
        )
        messages = answer.get("messages") or [{}]
        return Sent(_text(messages[0].get("id")), "cloud-api")


class TelegramSender:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send(self, bot: TelegramBot, request: OutboundRequested) -> Sent:
        url = f"{bot.api_base_url.rstrip('/')}/bot{bot.bot_token.get_secret_value()}/sendMessage"
        answer = await post_json(
            self._http,
            url,
            {"chat_id": request.recipient.value, "text": (request.content.text or "")[:4096]},
        )
        result = answer.get("result") or {}
        return Sent(
            _text(result.get("message_id") if isinstance(result, dict) else None), "bot-api"
        )


def _text(value: object) -> str | None:
    return str(value) if value is not None else None


class TwilioSmsSender:
    """Twilio's Messages API (form post, basic auth with the account SID and token)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send(self, account: TwilioSms, request: OutboundRequested) -> Sent:
        return await self.send_text(account, request.recipient.value, request.content.text or "")

    async def send_text(self, account: TwilioSms, to: str, text: str) -> Sent:
        if not account.account_sid or not account.from_number:
            raise PermanentSendFailure("the tenant has no Twilio number to send from")
        url = (
            f"{account.api_base_url.rstrip('/')}/2010-04-01/Accounts/"
            f"{account.account_sid}/Messages.json"
        )
        try:
            response = await self._http.post(
                url,
                data={"To": to, "From": account.from_number, "Body": text[:1600]},
                auth=(account.account_sid, account.auth_tokens[0].get_secret_value()),
            )
        except httpx.HTTPError as exc:
            raise TemporarySendFailure(f"Twilio did not answer: {exc!r}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TemporarySendFailure(f"Twilio answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentSendFailure(
                f"Twilio refused: {response.status_code} {response.text[:300]}"
            )
        return Sent(_text(response.json().get("sid")), "messages-api")
