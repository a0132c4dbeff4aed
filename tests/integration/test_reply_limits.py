"""Replies are checked at the API in bytes of the event they become: one over the
limit is refused with 422 naming it, never accepted to jam the channel later."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from case_service.domain.replies import SENT_HEADROOM_BYTES
from cc_common.settings import KafkaSettings, MongoSettings
from tests.integration.case_api import CaseApi, case_api, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

MAX_EVENT_BYTES = 40_000
REPLY_LIMIT = MAX_EVENT_BYTES - SENT_HEADROOM_BYTES


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    small = kafka_settings.model_copy(update={"max_event_bytes": MAX_EVENT_BYTES})
    async with case_api(small, mongo_settings, unique) as running:
        yield running


async def a_case(api: CaseApi) -> str:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    await api.publish(message("acme", f"chat:{address}", [email_identity(address)], text="hi"))
    customer = await api.customer_of("acme", f"email:{address}")
    return str((await api.cases_of("acme", customer["id"]))[0]["id"])


async def reply(api: CaseApi, case_id: str, **body: Any) -> httpx.Response:
    return await api.client.post(
        f"/v1/cases/{case_id}/replies",
        json=body,
        headers={**api.auth("acme"), "Idempotency-Key": uuid.uuid4().hex},
    )


async def test_a_reply_one_byte_over_the_limit_is_refused_and_one_under_is_sent(
    api: CaseApi,
) -> None:
    case_id = await a_case(api)
    # Calibrate: what the event adds around the text, as the API itself counts it.
    probe = await reply(api, case_id, text="x" * 30_000)
    assert probe.status_code == 422, probe.text
    problem = probe.json()
    assert problem["limit_bytes"] == REPLY_LIMIT
    assert str(REPLY_LIMIT) in problem["detail"]
    around = problem["size_bytes"] - 30_000

    over = await reply(api, case_id, text="x" * (REPLY_LIMIT - around + 1))
    assert over.status_code == 422, over.text
    assert over.json()["size_bytes"] == REPLY_LIMIT + 1
    under = await reply(api, case_id, text="x" * (REPLY_LIMIT - around - 1))
    assert under.status_code == 202, under.text


async def test_multibyte_text_is_counted_in_bytes_not_characters(api: CaseApi) -> None:
    case_id = await a_case(api)
    # 9,000 characters, well under the API's character limit, but 27,000 bytes in UTF-8.
    refused = await reply(api, case_id, text="届" * 9_000)
    assert refused.status_code == 422, refused.text
    assert refused.json()["size_bytes"] > REPLY_LIMIT


async def test_a_subject_that_would_break_a_mail_header_is_refused(api: CaseApi) -> None:
    case_id = await a_case(api)
    refused = await reply(api, case_id, text="hello", subject="Re: order\r\nBcc: all@x.test")
    assert refused.status_code == 422, refused.text
