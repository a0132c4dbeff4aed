"""``GET /v1/entries/{entry_id}/attachments/{n}``: download what a customer attached.

Agents read attachments through the one API they use: the entry (of the caller's
tenant) names the attachment; the bytes come from the ingest service that keeps them
(ingest-email for mail, ingest-chat for messaging), asked with the caller's own
token, and are served as a download that a browser never renders as one of our pages.
"""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from case_service.api.deps import TimelineReadsDep
from cc_common.auth import Principal
from cc_common.http.attachments import attachment_response


def build_router(read: Any, *, chat_url: str, email_url: str) -> APIRouter:
    router = APIRouter(prefix="/v1/entries", tags=["attachments"])
    Reader = Annotated[Principal, Depends(read)]

    @router.get(
        "/{entry_id}/attachments/{n}",
        response_class=Response,
        responses={200: {"content": {"application/octet-stream": {}}}, 404: {}, 502: {}},
    )
    async def download(
        entry_id: str,
        n: Annotated[int, Path(ge=0, le=1000)],
        request: Request,
        principal: Reader,
        timeline: TimelineReadsDep,
    ) -> Response:
        """The ``n``-th attachment of a timeline entry (0 is the first)."""
        entry = await timeline.get(principal.tenant_id, entry_id)
        attachments = ((entry or {}).get("interaction") or {}).get("content", {}).get(
            "attachments"
        ) or []
        if n >= len(attachments):
            raise HTTPException(404, "This entry has no such attachment.")
        ref = attachments[n]
        owner = email_url if entry and entry.get("channel") == "email" else chat_url
        client: httpx.AsyncClient = request.app.state.attachment_client
        try:
            response = await client.get(
                f"{owner.rstrip('/')}/v1/attachments/{quote(ref['blob_id'], safe='')}",
                headers={"Authorization": request.headers["authorization"]},
            )
        except httpx.HTTPError as exc:
            raise HTTPException(502, "The service keeping the attachment did not answer.") from exc
        if response.status_code == 404:
            raise HTTPException(404, "The attachment is no longer kept.")
        if response.status_code != 200:
            raise HTTPException(
                502, f"The service keeping the attachment answered {response.status_code}."
            )
        return attachment_response(
            response.content,
            content_type=ref.get("content_type") or "application/octet-stream",
            filename=ref.get("filename"),
        )

    return router
