"""Serving an attachment's bytes to an agent's browser, safely.

Whatever a customer sent is shown as a download, never rendered as a page of ours:
``Content-Disposition: attachment``, ``nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, max-age=300",
}


def attachment_response(data: bytes, *, content_type: str, filename: str | None) -> Response:
    """The bytes as a download named ``filename`` (RFC 6266, UTF-8 names kept)."""
    name = filename or "attachment"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        data,
        media_type=content_type or "application/octet-stream",
        headers={**SAFE_HEADERS, "Content-Disposition": disposition},
    )
