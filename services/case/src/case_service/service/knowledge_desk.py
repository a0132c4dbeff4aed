"""The knowledge base: articles written and published by supervisors, suggested to
agents for a case from what its customer wrote, the one that helped recorded on the
case, and the published ones shown to anyone on the help center."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from case_service.domain.errors import NotFound, Refused
from case_service.domain.knowledge import Article, rank
from case_service.domain.model import Case
from case_service.ports import ArticleStore, TimelineReads
from case_service.service.case_desk import CaseDesk
from cc_common.events import utc_now
from cc_common.principals import Principal

CASE_TEXT_MESSAGES = 20
"""The customer's latest messages on a case that its suggestions are ranked against."""
HELP_CENTER_MOST = 20


class KnowledgeDesk:
    def __init__(
        self,
        *,
        articles: ArticleStore,
        desk: CaseDesk,
        timeline: TimelineReads,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._articles = articles
        self._desk = desk
        self._timeline = timeline
        self._clock = clock

    async def create(self, caller: Principal, draft: dict[str, Any]) -> dict[str, Any]:
        now = self._clock()
        article = {
            "_id": str(uuid.uuid4()),
            "tenant_id": caller.tenant_id,
            "status": "draft",
            "draft": draft,
            "published": None,
            "created_by": caller.subject,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        await self._articles.create(article)
        return article

    async def edit(
        self, caller: Principal, article_id: str, draft: dict[str, Any]
    ) -> dict[str, Any]:
        """Change the draft; the published version stays as it is until published again."""
        edited = await self._articles.edit_draft(caller.tenant_id, article_id, draft, self._clock())
        if edited is None:
            raise NotFound("No such article.")
        return edited

    async def publish(self, caller: Principal, article_id: str) -> dict[str, Any]:
        published = await self._articles.publish(
            caller.tenant_id, article_id, self._clock(), caller.subject
        )
        if published is None:
            raise NotFound("No such article.")
        return published

    async def listed(self, tenant_id: str, *, drafts: bool) -> list[dict[str, Any]]:
        return await self._articles.all(tenant_id, published_only=not drafts)

    async def suggest(self, tenant_id: str, case_id: str) -> list[tuple[dict[str, Any], float]]:
        """The published articles that best answer what the customer wrote on the case."""
        case = await self._desk.case(tenant_id, case_id)
        question = await self._case_text(case)
        published = await self._articles.all(tenant_id, published_only=True)
        return _ranked(question, published, limit=3)

    async def used(self, agent: Principal, case_id: str, article_id: str) -> Case:
        """The agent answered with this article: recorded on the case (what makes "the
        FAQ solved it" countable) and on its timeline."""
        article = await self._articles.get(agent.tenant_id, article_id)
        if article is None:
            raise NotFound("No such article.")
        if not article.get("published"):
            raise Refused("The article is not published.")
        published = article["published"]
        return await self._desk.note_article_used(
            agent,
            case_id,
            {
                "article_id": article_id,
                "title": published["title"],
                "version": published["version"],
            },
        )

    async def help_center(
        self, tenant_id: str, *, query: str | None, language: str | None
    ) -> list[dict[str, Any]]:
        """Published articles for self-service: the best answers to ``query`` or all."""
        published = await self._articles.all(tenant_id, published_only=True)
        if language:
            published = [a for a in published if a["published"].get("language") == language]
        if not query:
            return published[:HELP_CENTER_MOST]
        return [article for article, _ in _ranked(query, published, limit=HELP_CENTER_MOST)]

    async def help_article(self, tenant_id: str, article_id: str) -> dict[str, Any]:
        article = await self._articles.get(tenant_id, article_id)
        if article is None or not article.get("published"):
            raise NotFound("No such article.")
        return article

    async def _case_text(self, case: Case) -> str:
        entries = await self._timeline.page(
            tenant_id=case.tenant_id, limit=CASE_TEXT_MESSAGES * 2, after=None, case_id=case.id
        )
        said = [
            entry.interaction["content"].get("text") or ""
            for entry in entries
            if entry.direction == "inbound"
            and entry.interaction
            and entry.interaction.get("content")
        ][:CASE_TEXT_MESSAGES]
        return " ".join([case.subject or "", *said])


def _ranked(
    question: str, articles: list[dict[str, Any]], *, limit: int
) -> list[tuple[dict[str, Any], float]]:
    by_id = {article["_id"]: article for article in articles}
    candidates = [
        Article(
            article["_id"],
            article["published"]["title"],
            article["published"]["body"],
            tuple(article["published"].get("keywords") or ()),
        )
        for article in articles
    ]
    return [(by_id[found], score) for found, score in rank(question, candidates, limit=limit)]
