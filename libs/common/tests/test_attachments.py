"""Attachments are served as downloads a browser never renders as our page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from cc_common.http.attachments import attachment_response, blob_router
from cc_common.principals import Principal, Role


def test_a_download_keeps_a_japanese_name_and_is_never_rendered() -> None:
    response = attachment_response(b"x", content_type="text/html", filename='請求書"a".html')
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8%22a%22.html" in disposition
    assert '"a"' not in disposition.split(";")[1], "quotes in the plain name are replaced"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("sandbox")


def test_no_name_and_no_type_still_make_a_safe_download() -> None:
    response = attachment_response(b"x", content_type="", filename=None)
    assert response.media_type == "application/octet-stream"
    assert 'filename="attachment"' in response.headers["content-disposition"]


def test_the_blob_route_serves_the_tenants_bytes_sandboxed_and_404s_the_rest() -> None:
    def caller() -> Principal:
        return Principal(subject="ana", tenant_id="acme", roles=frozenset({Role.AGENT}))

    async def fetch(request: Request, tenant_id: str, blob_id: str) -> tuple[bytes, str] | None:
        return (b"%PDF", "application/pdf") if (tenant_id, blob_id) == ("acme", "b1") else None

    app = FastAPI()
    app.include_router(blob_router(caller, fetch, missing="No such attachment."))
    client = TestClient(app)
    found = client.get("/v1/attachments/b1")
    assert (found.status_code, found.content) == (200, b"%PDF")
    assert found.headers["content-security-policy"].startswith("sandbox")
    assert client.get("/v1/attachments/b2").status_code == 404
    assert "/v1/attachments/{blob_id}" in client.get("/openapi.json").json()["paths"]


def test_a_blob_id_that_is_a_url_reaches_the_fetch_whole() -> None:
    """Messenger and Instagram attachments are kept by their CDN URL: the case API
    sends it percent-encoded; before, its slashes made every download 404."""
    cdn = "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?_nc_cat=1&oh=00_A&oe=6"
    asked: list[str] = []

    def caller() -> Principal:
        return Principal(subject="ana", tenant_id="acme", roles=frozenset({Role.AGENT}))

    async def fetch(request: Request, tenant_id: str, blob_id: str) -> tuple[bytes, str] | None:
        asked.append(blob_id)
        return b"jpeg", "image/jpeg"

    app = FastAPI()
    app.include_router(blob_router(caller, fetch, missing="No such attachment."))
    found = TestClient(app).get(f"/v1/attachments/{quote(cdn, safe='')}")
    assert found.status_code == 200
    assert asked == [cdn]
