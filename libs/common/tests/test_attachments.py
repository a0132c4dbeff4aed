"""Attachments are served as downloads a browser never renders as our page."""

from __future__ import annotations

from cc_common.http.attachments import attachment_response


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
