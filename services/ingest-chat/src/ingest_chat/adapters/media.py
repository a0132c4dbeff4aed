"""Customers' media that providers keep for us: fetched on demand with the tenant's
credentials (LINE content API, WhatsApp media endpoint, Telegram getFile, Twilio MMS
URLs) or, for Messenger and Instagram, from the CDN link in the webhook.

Nothing is cached here: providers keep media for a limited time (LINE and WhatsApp
about 30 days or less), after which the download is gone (None).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import httpx

from ingest_chat.settings import LineChannel, MetaApp, TelegramBot

Media = tuple[bytes, str]
"""The bytes and the content type the provider gave."""


class MediaUnavailable(Exception):
    """The provider did not answer, or failed: try again later (502)."""


class ProviderMedia:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def line(self, channel: LineChannel, message_id: str) -> Media | None:
        """An image, video, audio or file message's content."""
        base = channel.data_api_base_url.rstrip("/")
        token = channel.access_token.get_secret_value()
        return await self._download(f"{base}/v2/bot/message/{message_id}/content", token)

    async def whatsapp(self, app: MetaApp, media_id: str) -> Media | None:
        """A WhatsApp media id: the Graph API names a short-lived URL, fetched with the
        same token."""
        if app.whatsapp_token is None:
            return None
        token = app.whatsapp_token.get_secret_value()
        base = f"{app.graph_base_url.rstrip('/')}/{app.graph_version}"
        described = await self._get(f"{base}/{media_id}", token)
        if described is None:
            return None
        url = _json(described).get("url")
        if not isinstance(url, str) or not url.startswith(("https://", app.graph_base_url)):
            raise MediaUnavailable("the Graph API named no usable media URL")
        return await self._download(url, token)

    async def telegram(self, bot: TelegramBot, file_id: str) -> Media | None:
        """A Telegram file id: getFile names the path, then the file is downloaded."""
        base = bot.api_base_url.rstrip("/")
        token = bot.bot_token.get_secret_value()
        described = await self._get(f"{base}/bot{token}/getFile?file_id={quote(file_id)}", None)
        if described is None:
            return None
        result = _json(described).get("result")
        path = result.get("file_path") if isinstance(result, dict) else None
        if not isinstance(path, str) or ".." in path:
            raise MediaUnavailable("getFile named no file path")
        return await self._download(f"{base}/file/bot{token}/{path}", None)

    async def by_url(
        self, url: str, *, hosts: tuple[str, ...], auth: tuple[str, str] | None = None
    ) -> Media | None:
        """Media a provider names by URL (Messenger and Instagram CDN links, Twilio MMS),
        fetched only over https from the provider's own hosts (never an address a
        payload could point at our network), following redirects only among them."""
        for _ in range(4):
            if not media_url_allowed(url, hosts):
                return None
            try:
                response = await self._http.get(url, auth=auth, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise MediaUnavailable(
                    f"the provider did not answer: {type(exc).__name__}"
                ) from exc
            if response.is_redirect and "location" in response.headers:
                url, auth = str(response.next_request.url if response.next_request else ""), None
                continue
            if response.status_code in (400, 403, 404, 410):
                return None
            if response.status_code != 200:
                raise MediaUnavailable(f"the provider answered {response.status_code}")
            return response.content, response.headers.get(
                "content-type", "application/octet-stream"
            )
        return None

    async def _download(self, url: str, token: str | None) -> Media | None:
        response = await self._get(url, token)
        if response is None:
            return None
        return response.content, response.headers.get("content-type", "application/octet-stream")

    async def _get(self, url: str, token: str | None) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise MediaUnavailable(f"the provider did not answer: {type(exc).__name__}") from exc
        if response.status_code in (400, 404, 410):
            return None
        if response.status_code != 200:
            raise MediaUnavailable(f"the provider answered {response.status_code}")
        return response


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError as exc:
        raise MediaUnavailable("the provider's answer was not JSON") from exc
    return body if isinstance(body, dict) else {}


META_MEDIA_HOSTS = ("fbcdn.net", "fbsbx.com", "cdninstagram.com")
TWILIO_MEDIA_HOSTS = ("twilio.com", "twiliocdn.com", "s3-external-1.amazonaws.com")
"""Twilio answers a media URL with a redirect to its CDN bucket."""


def media_url_allowed(url: str, hosts: tuple[str, ...]) -> bool:
    """https, no credentials or odd port, and the host is one of ``hosts`` or below one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme != "https" or parts.username or parts.password:
        return False
    if parts.port not in (None, 443):
        return False
    return any(host == h or host.endswith("." + h) for h in hosts)
