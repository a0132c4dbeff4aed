"""``GET /v1/search``: customers, cases and messages by any substring, Japanese included."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from case_service.domain.search import query_grams
from case_service.ports import SearchReads
from cc_common.auth import Principal

Scope = Literal["customers", "cases", "messages"]


class SearchHit(BaseModel):
    id: str
    scope: Scope
    customer_id: str | None = None
    case_id: str | None = None
    title: str | None = Field(default=None, description="Name, subject or message summary.")
    at: datetime | None = None


class SearchResults(BaseModel):
    query: str
    scope: Scope
    hits: list[SearchHit]
    complete: bool = Field(
        description="False when the search stopped after examining its budget of"
        " candidates before finding `limit` hits: older matches may exist (add words)."
    )


def _hit(scope: Scope, doc: dict[str, Any]) -> SearchHit:
    if scope == "customers":
        return SearchHit(
            id=doc["_id"],
            scope=scope,
            customer_id=doc["_id"],
            title=doc.get("display_name"),
            at=doc.get("last_seen_at"),
        )
    if scope == "cases":
        return SearchHit(
            id=doc["_id"],
            scope=scope,
            customer_id=doc.get("customer_id"),
            case_id=doc["_id"],
            title=doc.get("subject"),
            at=doc.get("last_activity_at"),
        )
    return SearchHit(
        id=doc["_id"],
        scope=scope,
        customer_id=doc.get("customer_id"),
        case_id=doc.get("case_id"),
        title=doc.get("summary"),
        at=doc.get("occurred_at"),
    )


def build_router(authenticate: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["search"])
    Reader = Annotated[Principal, Depends(authenticate)]

    @router.get("/search")
    async def search(
        request: Request,
        principal: Reader,
        q: Annotated[str, Query(min_length=1, max_length=200)],
        scope: Scope = "messages",
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> SearchResults:
        """Customers by name or identity, cases by subject, messages and notes by text.

        Any substring of two or more characters matches, in any language (Japanese
        has no spaces between words: text is indexed by character pairs).
        """
        text, grams = query_grams(q)
        repo: SearchReads = request.app.state.search
        docs, complete = await repo.search(
            scope, principal.tenant_id, text=text, grams=grams, limit=limit
        )
        hits = [_hit(scope, d) for d in docs]
        return SearchResults(query=q, scope=scope, hits=hits, complete=complete)

    return router
