"""The LINE profile cache: ids of LINE's shape only, each asked once, failures ignored."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from ingest_chat.adapters.line_profiles import LineProfiles
from ingest_chat.domain.line import LineProfile
from ingest_chat.settings import LineChannel

USER = "U4af4980629a1b2c3d4e5f60718293a4b"
CHANNEL = LineChannel(
    channel_secrets=[SecretStr("s")], access_token=SecretStr("t"), api_base_url="http://line"
)


@pytest.mark.asyncio
async def test_profiles_are_asked_once_and_junk_ids_never_reach_a_url() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path.endswith(USER):
            return httpx.Response(200, json={"displayName": "Taro", "language": "ja"})
        return httpx.Response(404, json={"message": "Not found"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        profiles = LineProfiles(http)
        other = "U" + "0" * 32
        found = await profiles.lookup("acme", CHANNEL, [USER, other, "\x00\ufffd", "../admin"])
        again = await profiles.lookup("acme", CHANNEL, [USER, other])
    assert found == again == {USER: LineProfile(display_name="Taro", language="ja")}
    assert asked == [f"/v2/bot/profile/{USER}", f"/v2/bot/profile/{other}"]


@pytest.mark.asyncio
async def test_an_unreachable_line_is_no_profile_not_an_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        assert await LineProfiles(http).lookup("acme", CHANNEL, [USER]) == {}
    off = CHANNEL.model_copy(update={"profile_lookup": False})
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        assert await LineProfiles(http).lookup("acme", off, [USER]) == {}
