"""Case routes: read a case and its timeline, edit it (If-Match), notes, CSAT, moves."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response

from case_service.api.deps import DeskDep, TimelineReadsDep
from case_service.api.paging import timeline_page
from case_service.api.schemas import (
    CaseHolder,
    CaseMergeCreate,
    CaseRead,
    CaseSplitCreate,
    CaseUpdate,
    CsatCreate,
    NoteCreate,
    PresenceUpdate,
    TimelineEntryRead,
    TimelinePage,
    TypingUpdate,
)
from case_service.domain.model import Case
from cc_common.auth import Principal


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    """The version an If-Match names; 428 without one, 412 if it is not one of ours."""
    if if_match is None:
        raise HTTPException(
            428, "Send If-Match with the case's ETag, so a colleague's edit is not overwritten."
        )
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit()):  # "²" is a digit int() refuses
        raise HTTPException(412, "If-Match does not name a version of this case.")
    return int(tag)


def case_read(case: Case) -> CaseRead:
    return CaseRead.model_validate(case.model_dump())


def _versioned(case: Case, response: Response) -> CaseRead:
    response.headers["ETag"] = etag(case.version)
    return case_read(case)


def build_router(read: Any, write: Any, *, csat: Any, page_max: int) -> APIRouter:
    router = APIRouter(prefix="/v1/cases", tags=["cases"])
    Reader = Annotated[Principal, Depends(read)]
    Writer = Annotated[Principal, Depends(write)]
    CsatWriter = Annotated[Principal, Depends(csat)]
    IfMatch = Annotated[
        str | None, Header(description="The ETag of the case as read; required to edit.")
    ]

    @router.get("/{case_id}")
    async def get_case(
        case_id: str, principal: Reader, desk: DeskDep, response: Response
    ) -> CaseRead:
        """One case of the caller's tenant; its ETag is what an edit must send in If-Match."""
        return _versioned(await desk.case(principal.tenant_id, case_id), response)

    @router.patch("/{case_id}", responses={412: {}, 428: {}})
    async def edit_case(
        case_id: str,
        body: CaseUpdate,
        principal: Writer,
        desk: DeskDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> CaseRead:
        """Change status, priority, queue, assignee, tags, custom fields or subject."""
        version = expected_version(if_match)
        patch = body.model_dump(exclude_unset=True)
        return _versioned(
            await desk.edit(principal, case_id, patch, expected_version=version), response
        )

    @router.post("/{case_id}/notes", status_code=201)
    async def add_note(
        case_id: str, body: NoteCreate, principal: Writer, desk: DeskDep
    ) -> TimelineEntryRead:
        """An internal note on the case (never sent to the customer); @agent-id mentions."""
        entry = await desk.add_note(principal, case_id, body.text)
        return TimelineEntryRead(id=entry["_id"], **entry)

    @router.post("/{case_id}/typing", status_code=204)
    async def typing(case_id: str, body: TypingUpdate, principal: Writer, desk: DeskDep) -> None:
        """The agent is typing a reply (or stopped): shown live to a web-chat visitor.
        Best effort and never stored; channels without typing indicators ignore it."""
        await desk.typing(principal, case_id, active=body.active)

    @router.put("/{case_id}/presence", status_code=204)
    async def mark_presence(
        case_id: str, body: PresenceUpdate, principal: Writer, desk: DeskDep
    ) -> None:
        """The agent has the case open (`viewing`), is writing a reply (`drafting`) or
        left it; colleagues' desks are told. Renew it every 20 s: a hold lapses (60 s
        viewing, 30 s drafting). While a colleague drafts, a reply needs `takeover`."""
        await desk.mark_presence(principal, case_id, body.state)

    @router.get("/{case_id}/presence")
    async def read_presence(case_id: str, principal: Reader, desk: DeskDep) -> list[CaseHolder]:
        """Who has the case open or is drafting on it now."""
        holds = await desk.presence(principal.tenant_id, case_id)
        return [
            CaseHolder(agent_id=h["agent_id"], state=h["state"], since=h["since"]) for h in holds
        ]

    @router.put("/{case_id}/csat")
    async def record_csat(
        case_id: str, body: CsatCreate, principal: CsatWriter, desk: DeskDep, response: Response
    ) -> CaseRead:
        """The customer's satisfaction rating (from a survey integration); the last one counts."""
        return _versioned(await desk.rate(principal, case_id, body.model_dump()), response)

    @router.post("/{case_id}/merges")
    async def merge_case(
        case_id: str, body: CaseMergeCreate, principal: Writer, desk: DeskDep
    ) -> CaseRead:
        """Merge another case of the same customer into this one (it is closed)."""
        merged = await desk.merge(
            principal, source_id=body.source_case_id, target_id=case_id, reason=body.reason
        )
        return case_read(merged)

    @router.post("/{case_id}/split", status_code=201)
    async def split_case(
        case_id: str, body: CaseSplitCreate, principal: Writer, desk: DeskDep
    ) -> CaseRead:
        """Move some entries into a new case (a second matter raised in one conversation)."""
        created = await desk.split(
            principal, case_id, entry_ids=body.entry_ids, subject=body.subject
        )
        return case_read(created)

    @router.get("/{case_id}/timeline")
    async def read_case_timeline(
        case_id: str,
        principal: Reader,
        desk: DeskDep,
        timeline: TimelineReadsDep,
        limit: Annotated[int, Query(ge=1, le=page_max)] = 50,
        cursor: str | None = None,
        kind: str | None = Query(default=None, max_length=64),
    ) -> TimelinePage:
        """One case's entries, newest first, with a cursor."""
        await desk.case(principal.tenant_id, case_id)
        return await timeline_page(
            timeline,
            tenant_id=principal.tenant_id,
            limit=limit,
            cursor=cursor,
            case_id=case_id,
            kind=kind,
        )

    return router
