"""Outbound calls through Twilio's REST API (call creation)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from cc_common.errors import PermanentError
from ingest_voice.settings import TwilioAccount


class TwilioUnavailable(Exception):
    """A temporary failure (5xx, timeout): the consumer retries with backoff."""


@dataclass(frozen=True, slots=True)
class PlacedCall:
    call_sid: str
    status: str


class TwilioCalls:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def place(
        self, account: TwilioAccount, *, to: str, answer_url: str, status_url: str
    ) -> PlacedCall:
        """Create a call; raises PermanentError on 4xx, TwilioUnavailable otherwise."""
        base = account.api_base_url.rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{account.account_sid}/Calls.json"
        form = {
            "To": to,
            "From": account.from_number,
            "Url": answer_url,
            "StatusCallback": status_url,
            "StatusCallbackEvent": "initiated ringing answered completed",
            "StatusCallbackMethod": "POST",
        }
        try:
            response = await self._client.post(
                url,
                data=form,
                auth=(account.account_sid, account.auth_tokens[0].get_secret_value()),
            )
        except httpx.HTTPError as exc:
            raise TwilioUnavailable(repr(exc)) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TwilioUnavailable(f"Twilio answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(
                f"Twilio refused the call: {response.status_code} {response.text[:300]}"
            )
        body = response.json()
        return PlacedCall(call_sid=str(body["sid"]), status=str(body.get("status", "queued")))
