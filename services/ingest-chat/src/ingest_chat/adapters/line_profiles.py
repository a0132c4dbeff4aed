"""LINE users' profiles (display name, app language) from the Messaging API, cached.

LINE's webhooks carry only a user id. The profile endpoint gives the name agents
see and the language of the user's LINE app (a hint for language queues). A
lookup must never hold up a webhook for long or fail it: it is bounded by a short
timeout, answers are cached, and a failure is remembered briefly and ignored.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable

import httpx

from cc_common.logging import get_logger
from ingest_chat.domain.line import LineProfile
from ingest_chat.settings import LineChannel

log = get_logger(__name__)
_KNOWN_SECONDS = 3600.0
_UNKNOWN_SECONDS = 300.0
_MAX_ENTRIES = 100_000
_USER_ID = re.compile(r"U[0-9a-f]{32}")


class LineProfiles:
    def __init__(self, http: httpx.AsyncClient, *, timeout_seconds: float = 1.5) -> None:
        self._http = http
        self._timeout = timeout_seconds
        self._cache: dict[tuple[str, str], tuple[float, LineProfile | None]] = {}

    async def lookup(
        self, tenant_id: str, channel: LineChannel, user_ids: Iterable[str]
    ) -> dict[str, LineProfile]:
        """The profiles of ``user_ids`` that LINE gives (each asked at most once an hour)."""
        if not channel.profile_lookup:
            return {}
        # Only ids of LINE's shape reach a URL (a forged-but-signed body is still input).
        wanted = [u for u in dict.fromkeys(user_ids) if _USER_ID.fullmatch(u)]
        now = time.monotonic()
        missing = [u for u in wanted if self._cache.get((tenant_id, u), (0.0, None))[0] <= now]
        if missing:
            found = await asyncio.gather(*(self._fetch(channel, u) for u in missing))
            if len(self._cache) > _MAX_ENTRIES:
                self._cache.clear()
            for user_id, profile in zip(missing, found, strict=True):
                ttl = _KNOWN_SECONDS if profile else _UNKNOWN_SECONDS
                self._cache[(tenant_id, user_id)] = (now + ttl, profile)
        profiles = {u: self._cache[(tenant_id, u)][1] for u in wanted}
        return {u: p for u, p in profiles.items() if p is not None}

    async def _fetch(self, channel: LineChannel, user_id: str) -> LineProfile | None:
        url = f"{channel.api_base_url.rstrip('/')}/v2/bot/profile/{user_id}"
        try:
            response = await self._http.get(
                url,
                headers={"Authorization": f"Bearer {channel.access_token.get_secret_value()}"},
                timeout=self._timeout,
            )
            if response.status_code != 200:
                log.info("line.profile_unavailable", status=response.status_code)
                return None
            body = response.json()
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            log.info("line.profile_unavailable", error=type(exc).__name__)
            return None
        if not isinstance(body, dict):
            return None
        name, language = body.get("displayName"), body.get("language")
        return LineProfile(
            display_name=name[:200] if isinstance(name, str) and name else None,
            language=language if isinstance(language, str) and language else None,
        )
