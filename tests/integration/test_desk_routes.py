"""The agent desk's files and its development sign-in on the case service: the files
carry their security headers; the sign-in exists only when turned on, and its token
is an ordinary bearer token of the tenant and role asked for."""

from __future__ import annotations

import pytest

from cc_common.settings import KafkaSettings, MongoSettings
from tests.integration.case_api import CaseApi, case_api

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_the_desk_is_served_with_its_headers_and_no_sign_in_by_default(
    api: CaseApi,
) -> None:
    page = await api.client.get("/desk/")
    assert page.status_code == 200
    assert '<script type="module" src="desk.js">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    script = await api.client.get("/desk/desk.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert (await api.client.get("/desk")).status_code == 308
    assert (await api.client.get("/desk/../main.py")).status_code == 404
    signed = await api.client.post("/v1/dev/sign-in", json={"agent_id": "ana"})
    assert signed.status_code == 404
    document = (await api.client.get("/openapi.json")).json()
    assert "/v1/dev/sign-in" not in document["paths"]


async def test_the_development_sign_in_issues_a_token_of_that_tenant_and_role(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> None:
    async with case_api(kafka_settings, mongo_settings, unique, dev_sign_in=True) as api:
        refused = await api.client.post(
            "/v1/dev/sign-in", json={"agent_id": "ana", "role": "admin"}
        )
        assert refused.status_code == 422  # agents and supervisors only
        signed = await api.client.post(
            "/v1/dev/sign-in", json={"tenant_id": "acme", "agent_id": "ana"}
        )
        assert signed.status_code == 200, signed.text
        bearer = {"Authorization": f"Bearer {signed.json()['token']}"}
        found = await api.client.get(
            "/v1/customers", params={"identity": "email:x@example.com"}, headers=bearer
        )
        assert found.status_code == 200
        assert found.json() == []
        kpis = await api.client.get("/v1/kpis", headers=bearer)
        assert kpis.status_code == 403  # an agent, not a supervisor
