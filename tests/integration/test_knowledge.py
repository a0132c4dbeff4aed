"""The knowledge base on the real broker and database: drafts stay unseen until
published, a case gets the articles that answer what its customer wrote, the one an
agent answered with is kept on the case, and the public help center shows published
articles only, with no token."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from cc_common.auth import Role
from cc_common.settings import KafkaSettings, MongoSettings
from tests.integration.case_api import CaseApi, case_api, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ARTICLES = [
    {
        "title": "パスワードを忘れた場合の再設定方法",
        "body": "ログイン画面の「パスワードをお忘れの方」から再設定用のリンクをお送りします。",
        "keywords": ["パスワード", "再設定"],
        "category": "アカウント",
    },
    {
        "title": "商品がまだ届かない場合",
        "body": "5営業日を過ぎても届かない場合は、注文履歴で配送状況をご確認ください。",
        "keywords": ["配送", "届かない"],
        "category": "配送",
    },
]


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    async with case_api(kafka_settings, mongo_settings, unique) as running:
        yield running


async def test_articles_suggested_for_a_case_and_the_one_used_kept_on_it(api: CaseApi) -> None:
    tenant = f"kb{uuid.uuid4().hex[:6]}"
    supervisor = api.auth(tenant, Role.SUPERVISOR, subject="sam")
    agent = api.auth(tenant, subject="ana")
    created = []
    for article in ARTICLES:
        made = await api.client.post("/v1/articles", json=article, headers=supervisor)
        assert made.status_code == 201, made.text
        created.append(made.json())
    refused = await api.client.post("/v1/articles", json=ARTICLES[0], headers=agent)
    assert refused.status_code == 403
    delivery = created[1]["id"]
    # Drafts are neither suggested, nor listed for agents, nor public.
    assert (await api.client.get("/v1/articles", headers=agent)).json() == []
    assert (await api.client.get(f"/v1/help/{tenant}/articles")).json() == []
    for article in created:
        published = await api.client.post(
            f"/v1/articles/{article['id']}/publish", headers=supervisor
        )
        assert published.json()["published"]["version"] == 1
    edited = await api.client.put(
        f"/v1/articles/{delivery}",
        json={**ARTICLES[1], "title": "下書き：配送の遅れ"},
        headers=supervisor,
    )
    assert edited.json()["published"]["title"] == "商品がまだ届かない場合"  # until published

    address = f"{uuid.uuid4().hex[:8]}@example.jp"
    await api.publish(
        message(
            tenant,
            f"chat:{address}",
            [email_identity(address)],
            text="注文した商品がまだ届きません",
        )
    )
    customer = await api.customer_of(tenant, f"email:{address}")
    (case,) = await api.cases_of(tenant, customer["id"])
    suggested = await api.client.get(f"/v1/cases/{case['id']}/suggestions", headers=agent)
    assert suggested.status_code == 200, suggested.text
    assert [s["article_id"] for s in suggested.json()][:1] == [delivery]
    used = await api.client.post(
        f"/v1/cases/{case['id']}/knowledge-used", json={"article_id": delivery}, headers=agent
    )
    assert used.status_code == 200, used.text
    (kept,) = used.json()["knowledge_used"]
    assert (kept["article_id"], kept["version"], kept["agent_id"]) == (delivery, 1, "ana")
    again = await api.client.post(
        f"/v1/cases/{case['id']}/knowledge-used", json={"article_id": delivery}, headers=agent
    )
    assert len(again.json()["knowledge_used"]) == 1  # one article counts once
    entries = (await api.get(f"/v1/cases/{case['id']}/timeline", tenant, limit=50))["items"]
    assert [e["kind"] for e in entries].count("case.knowledge_used") == 1

    # The help center: no token, published versions only, the best answer first.
    public = await api.client.get(f"/v1/help/{tenant}/articles", params={"q": "パスワード忘れた"})
    assert public.status_code == 200, public.text
    titles: list[Any] = [a["title"] for a in public.json()]
    assert titles[0] == "パスワードを忘れた場合の再設定方法"
    assert "下書き：配送の遅れ" not in str(public.json())
    one = await api.client.get(f"/v1/help/{tenant}/articles/{delivery}")
    assert one.json()["title"] == "商品がまだ届かない場合"
    assert (await api.client.get(f"/v1/help/other/articles/{delivery}")).status_code == 404
