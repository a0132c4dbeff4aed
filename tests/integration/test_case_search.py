"""Search through the HTTP API on the real database: Japanese substrings, full-width
forms, customers by name and identity, cases by subject, and tenant isolation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cc_common.events import Channel
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def search(api: CaseApi, tenant: str, q: str, scope: str = "messages") -> list[str]:
    response = await api.client.get(
        "/v1/search", params={"q": q, "scope": scope}, headers=api.auth(tenant)
    )
    assert response.status_code == 200, response.text
    return [hit["title"] for hit in response.json()["hits"]]


async def test_japanese_text_is_found_by_any_part_of_a_word(api: CaseApi) -> None:
    sato = f"sato-{uuid.uuid4().hex[:6]}@example.jp"
    texts = [
        "ご注文の商品がまだ届きません",
        "ＡＢＣカードの年会費について",
        "ab bc は別の語です",
    ]
    for text in texts:
        await api.publish(
            message(
                "acme",
                f"mail:{sato}",
                [email_identity(sato)],
                text=text,
                channel=Channel.EMAIL,
                subject="配送の遅れ",
                name="佐藤 花子",
            )
        )
    customer = await api.customer_of("acme", f"email:{sato}")
    await api.timeline("acme", customer["id"], until=3)

    assert await search(api, "acme", "届き") == [texts[0]]
    assert await search(api, "acme", "品が") == [texts[0]]  # across a word boundary
    assert await search(api, "acme", "届いた") == []
    assert await search(api, "acme", "abcカード") == [texts[1]]  # full width folded
    assert await search(api, "acme", "abc") == [texts[1]]
    assert await search(api, "acme", "ab bc") == [texts[2]]
    # Both pairs of "abc" occur in the third text, but not as "abc": no false hit there.
    assert texts[2] not in await search(api, "acme", "abc")
    assert await search(api, "acme", "花子", "customers") == ["佐藤 花子"]
    assert await search(api, "acme", sato.split("@")[0], "customers") == ["佐藤 花子"]
    assert await search(api, "acme", "遅れ", "cases") == ["配送の遅れ"]
    assert await search(api, "other", "届き") == []
    short = await api.client.get("/v1/search", params={"q": "届"}, headers=api.auth("acme"))
    assert short.status_code == 422


async def test_notes_are_searchable_and_a_merged_customer_is_found_once(api: CaseApi) -> None:
    one, two = (f"{uuid.uuid4().hex[:8]}@example.org" for _ in range(2))
    for address in (one, two):
        await api.publish(message("acme", f"mail:{address}", [email_identity(address)]))
    first = await api.customer_of("acme", f"email:{one}")
    second = await api.customer_of("acme", f"email:{two}")
    cases: list[dict[str, Any]] = await api.get(f"/v1/customers/{first['id']}/cases", "acme")
    note = await api.client.post(
        f"/v1/cases/{cases[0]['id']}/notes",
        json={"text": "返金処理は経理の山田さんに依頼済み"},
        headers=api.auth("acme"),
    )
    assert note.status_code == 201
    assert await search(api, "acme", "経理") == ["返金処理は経理の山田さんに依頼済み"]

    merged = await api.client.post(
        f"/v1/customers/{first['id']}/merges",
        json={"source_customer_id": second["id"], "reason": "same person"},
        headers=api.auth("acme"),
    )
    assert merged.status_code == 201

    async def found() -> list[dict[str, Any]] | None:
        response = await api.client.get(
            "/v1/search",
            params={"q": two.split("@")[0], "scope": "customers"},
            headers=api.auth("acme"),
        )
        hits: list[dict[str, Any]] = response.json()["hits"]
        return hits if [h["customer_id"] for h in hits] == [first["id"]] else None

    await eventually(found, timeout=10, what="the merged customer found under the survivor")
