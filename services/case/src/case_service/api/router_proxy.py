"""Reads the case API passes through to the router's documented HTTP API, with the
caller's own token (the router applies the same tenant and role checks)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import HTTPException, Request


async def ask_router(request: Request, path: str) -> Any:
    """GET ``path`` on the router; its 403/404 answers are passed on with their detail."""
    client: httpx.AsyncClient = request.app.state.router_client
    try:
        response = await client.get(
            path, headers={"Authorization": request.headers["authorization"]}
        )
    except httpx.HTTPError as exc:
        raise HTTPException(503, "The router does not answer; try again.") from exc
    if response.status_code in (403, 404):
        raise HTTPException(response.status_code, _detail(response))
    if response.status_code != 200:
        raise HTTPException(502, f"The router answered {response.status_code}.")
    return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"The router answered {response.status_code}."
    return str(body.get("detail") or body.get("title") or response.status_code)
