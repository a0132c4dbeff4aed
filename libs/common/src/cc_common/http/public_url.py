"""The URL a provider called, as it saw it (behind a proxy it differs from ours)."""

from __future__ import annotations

from starlette.requests import Request


def public_url(request: Request, public_base_url: str | None) -> str:
    """The request's URL on the public base URL (signatures are computed over it)."""
    if public_base_url is None:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_base_url.rstrip("/") + request.url.path + query
