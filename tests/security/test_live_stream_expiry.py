"""The live event stream ends when its token does (issue "Nothing forged", finding 7):
before, a stream opened with a token kept receiving the tenant's events long after
the token expired."""

from __future__ import annotations

import asyncio
import time

import pytest

from cc_common.auth import Role, issue_token
from tests.integration.case_api import CaseApi

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_the_stream_ends_with_an_expired_event_when_the_token_expires(
    api: CaseApi,
) -> None:
    token = issue_token(
        api.settings.auth,
        subject="sup",
        tenant_id="acme",
        roles=[Role.SUPERVISOR],
        ttl_seconds=3,
    )
    opened = time.monotonic()
    lines: list[str] = []
    async with (
        asyncio.timeout(20),
        api.client.stream(
            "GET", "/v1/events", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            lines.append(line)
    lasted = time.monotonic() - opened
    assert "event: expired" in lines
    assert 1.5 < lasted < 10, f"the stream lasted {lasted:.1f}s for a 3 s token"
