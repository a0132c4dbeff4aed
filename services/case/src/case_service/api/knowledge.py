"""The knowledge base: articles (drafts and published versions) kept by supervisors,
suggestions for a case, the article an agent answered with, and the public help
center (published articles only, no token)."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from case_service.api.cases import case_read
from case_service.api.schemas import CaseRead
from case_service.service.knowledge_desk import KnowledgeDesk
from cc_common.auth import Principal, Role

TenantId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]


class ArticleWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=50_000, description="Plain text.")
    language: str = Field(default="ja", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    category: str | None = Field(default=None, max_length=100)
    keywords: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=30, description="Words customers use for it."
    )


class ArticleVersion(ArticleWrite):
    model_config = ConfigDict(extra="ignore")

    version: int
    published_at: datetime


class ArticleRead(BaseModel):
    id: str
    status: Literal["draft", "published"]
    published: ArticleVersion | None = Field(
        description="What agents are suggested and the help center shows."
    )
    draft: ArticleWrite | None = Field(
        default=None, description="The version being written (supervisors and admins only)."
    )
    updated_at: datetime


class Suggestion(BaseModel):
    article_id: str
    title: str
    body: str
    language: str
    category: str | None = None
    score: float = Field(description="BM25 against what the customer wrote on the case.")


class ArticleUsed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: str = Field(min_length=1, max_length=64)


class HelpArticle(BaseModel):
    id: str
    title: str
    body: str
    language: str
    category: str | None = None
    version: int
    published_at: datetime


def _desk(request: Request) -> KnowledgeDesk:
    desk: KnowledgeDesk = request.app.state.knowledge_desk
    return desk


def _read(doc: dict[str, Any], *, with_draft: bool) -> ArticleRead:
    return ArticleRead(
        id=doc["_id"],
        status=doc["status"],
        published=ArticleVersion.model_validate(doc["published"]) if doc.get("published") else None,
        draft=ArticleWrite.model_validate(doc["draft"]) if with_draft else None,
        updated_at=doc["updated_at"],
    )


def _help(doc: dict[str, Any]) -> HelpArticle:
    return HelpArticle.model_validate({**doc["published"], "id": doc["_id"]})


def build_router(read: Any, write: Any, manage: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["knowledge"])
    Reader = Annotated[Principal, Depends(read)]
    Writer = Annotated[Principal, Depends(write)]
    Manager = Annotated[Principal, Depends(manage)]
    Desk = Annotated[KnowledgeDesk, Depends(_desk)]

    @router.post("/articles", status_code=201)
    async def create_article(body: ArticleWrite, principal: Manager, desk: Desk) -> ArticleRead:
        """A new article, as a draft."""
        return _read(await desk.create(principal, body.model_dump()), with_draft=True)

    @router.put("/articles/{article_id}")
    async def edit_article(
        article_id: str, body: ArticleWrite, principal: Manager, desk: Desk
    ) -> ArticleRead:
        """Change the draft; the published version stays until published again."""
        return _read(await desk.edit(principal, article_id, body.model_dump()), with_draft=True)

    @router.post("/articles/{article_id}/publish")
    async def publish_article(article_id: str, principal: Manager, desk: Desk) -> ArticleRead:
        """The draft becomes the published version."""
        return _read(await desk.publish(principal, article_id), with_draft=True)

    @router.get("/articles")
    async def list_articles(principal: Reader, desk: Desk) -> list[ArticleRead]:
        """Published articles; supervisors and admins also see drafts."""
        drafts = principal.has_any({Role.SUPERVISOR, Role.ADMIN})
        listed = await desk.listed(principal.tenant_id, drafts=drafts)
        return [_read(doc, with_draft=drafts) for doc in listed]

    @router.get("/cases/{case_id}/suggestions")
    async def suggestions(case_id: str, principal: Writer, desk: Desk) -> list[Suggestion]:
        """The three published articles that best answer what the customer wrote."""
        found = await desk.suggest(principal.tenant_id, case_id)
        return [
            Suggestion(
                article_id=doc["_id"],
                title=doc["published"]["title"],
                body=doc["published"]["body"],
                language=doc["published"]["language"],
                category=doc["published"].get("category"),
                score=round(score, 3),
            )
            for doc, score in found
        ]

    @router.post("/cases/{case_id}/knowledge-used")
    async def knowledge_used(
        case_id: str, body: ArticleUsed, principal: Writer, desk: Desk
    ) -> CaseRead:
        """The agent answered with this article: kept on the case (`knowledge_used`) and
        its timeline, so how often the knowledge base solved it can be counted."""
        return case_read(await desk.used(principal, case_id, body.article_id))

    @router.get("/help/{tenant_id}/articles", tags=["help center"])
    async def help_center(
        tenant_id: TenantId,
        desk: Desk,
        q: Annotated[str | None, Query(max_length=500)] = None,
        language: Annotated[str | None, Query(max_length=15)] = None,
    ) -> list[HelpArticle]:
        """Public, no token: the tenant's published articles, the best answers to `q`
        first when given."""
        found = await desk.help_center(tenant_id, query=q, language=language)
        return [_help(doc) for doc in found]

    @router.get("/help/{tenant_id}/articles/{article_id}", tags=["help center"])
    async def help_article(tenant_id: TenantId, article_id: str, desk: Desk) -> HelpArticle:
        """Public, no token: one published article."""
        return _help(await desk.help_article(tenant_id, article_id))

    return router
