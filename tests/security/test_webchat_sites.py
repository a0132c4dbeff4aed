"""Web chat for configured sites only (issue "Nothing forged", finding 6): any tenant id
was accepted from any page. A chat starts only for a tenant with web chat, with its
widget key, from an origin it allows; a socket is refused to other sites' pages.
The checks run before the request touches the broker: the app runs without it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from ingest_chat.main import create_app
from ingest_chat.settings import ChatSettings, WebchatSite

SITE = "https://www.acme.example"


@pytest.fixture
def chat() -> FastAPI:
    site = WebchatSite(widget_keys=["wk-acme-www"], allowed_origins=[SITE])
    return create_app(ChatSettings(webchat_sites={"acme": site}))


@pytest.mark.parametrize(
    ("tenant", "key", "origin", "status"),
    [
        ("acme", "wk-acme-www", SITE, 201),
        ("acme", "wk-acme-www", None, 201),  # not a browser: the address limits hold it
        ("acme", "wk-acme-www", "https://evil.example", 403),
        ("acme", "wk-wrong", SITE, 403),
        ("acme", None, SITE, 403),
        ("nobody", "wk-acme-www", SITE, 404),
    ],
    ids=["allowed", "no-origin", "other-site", "wrong-key", "no-key", "unknown-tenant"],
)
def test_a_chat_starts_only_for_the_tenants_site(
    chat: FastAPI, tenant: str, key: str | None, origin: str | None, status: int
) -> None:
    headers = {"Origin": origin} if origin else {}
    body = {"tenant_id": tenant, **({"widget_key": key} if key else {})}
    response = TestClient(chat).post("/v1/webchat/conversations", json=body, headers=headers)
    assert response.status_code == status, response.text


def test_another_sites_page_cannot_hold_a_visitors_socket(chat: FastAPI) -> None:
    client = TestClient(chat)
    started = client.post(
        "/v1/webchat/conversations",
        json={"tenant_id": "acme", "widget_key": "wk-acme-www"},
        headers={"Origin": SITE},
    ).json()
    protocols = ["cc.webchat.v1", f"cc.token.{started['token']}"]
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(
            "/v1/webchat/ws", subprotocols=protocols, headers={"Origin": "https://evil.example"}
        ),
    ):
        pass
    assert refused.value.code == 4403


def test_open_web_chat_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC_ENVIRONMENT", "production")
    monkeypatch.setenv("CC_AUTH_JWT_SECRET", "a-real-secret-of-thirty-two-bytes-or-more")
    monkeypatch.setenv("CHAT_VISITOR_TOKEN_SECRET", "another-real-secret-of-thirty-two-bytes")
    monkeypatch.setenv("CHAT_WEBCHAT_OPEN", "true")
    with pytest.raises(ValueError, match="CHAT_WEBCHAT_OPEN"):
        ChatSettings()
