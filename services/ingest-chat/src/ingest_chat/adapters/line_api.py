"""LINE's send APIs (reply with a reply token, else push) over httpx."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from ingest_chat.settings import LineChannel


class TemporarySendFailure(Exception):
    """LINE is unreachable, rate limiting (429) or failing (5xx): retry later."""


class PermanentSendFailure(Exception):
    """LINE refused the message (4xx): retrying the same request cannot help."""


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str | None
    via: str


class LineApi:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send_text(
        self,
        channel: LineChannel,
        *,
        user_id: str,
        text: str,
        retry_key: str,
        reply_token: str | None,
    ) -> Sent:
        """Reply while the reply token is fresh (free of charge), otherwise push.

        A push carries ``X-Line-Retry-Key``: LINE accepts one push per key, so a
        retried request never reaches the customer twice (409 means already sent).
        """
        messages = [{"type": "text", "text": text[:5000]}]
        if reply_token:
            response = await self._post(
                channel, "/v2/bot/message/reply", {"replyToken": reply_token, "messages": messages}
            )
            if response.status_code == 200:
                return Sent(_sent_id(response), "reply")
            if response.status_code >= 500 or response.status_code == 429:
                raise TemporarySendFailure(f"LINE answered {response.status_code}")
            # An expired or used token: fall through to a push.
        response = await self._post(
            channel,
            "/v2/bot/message/push",
            {"to": user_id, "messages": messages},
            headers={"X-Line-Retry-Key": retry_key},
        )
        if response.status_code == 200:
            return Sent(_sent_id(response), "push")
        if response.status_code == 409:
            return Sent(response.headers.get("x-line-accepted-request-id"), "push")
        if response.status_code >= 500 or response.status_code == 429:
            raise TemporarySendFailure(f"LINE answered {response.status_code}")
        raise PermanentSendFailure(
            f"LINE refused the message: {response.status_code} {_why(response)}"
        )

    async def _post(
        self,
        channel: LineChannel,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return await self._http.post(
                channel.api_base_url.rstrip("/") + path,
                json=body,
                headers={
                    "Authorization": f"Bearer {channel.access_token.get_secret_value()}",
                    **(headers or {}),
                },
            )
        except httpx.HTTPError as exc:
            raise TemporarySendFailure(f"LINE did not answer: {exc!r}") from exc


def _sent_id(response: httpx.Response) -> str | None:
    try:
        sent = response.json().get("sentMessages") or []
    except ValueError:
        return None
    return str(sent[0]["id"]) if sent and isinstance(sent[0], dict) and "id" in sent[0] else None


def _why(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:300]
    except ValueError:
        return response.text[:300]
