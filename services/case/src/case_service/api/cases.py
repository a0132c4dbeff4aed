"""Case routes: read a case and its timeline, edit it (If-Match), add notes, record CSAT."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response

from case_service.adapters.case_moves import CaseMoves, MoveRefused
from case_service.adapters.cases import VersionConflict
from case_service.api.announce import announce, announce_typing
from case_service.api.deps import CasesDep, TimelineDep
from case_service.api.paging import timeline_page
from case_service.api.schemas import (
    CaseMergeCreate,
    CaseRead,
    CaseSplitCreate,
    CaseUpdate,
    CsatCreate,
    NoteCreate,
    TimelineEntryRead,
    TimelinePage,
    TypingUpdate,
)
from case_service.domain.edits import EditRefused, plan_edit
from case_service.domain.notes import note_entry
from case_service.domain.timeline import case_entry
from cc_common.auth import Principal
from cc_common.events import utc_now


def etag(case: dict[str, Any]) -> str:
    return f'"{case.get("version", 1)}"'


def expected_version(if_match: str | None) -> int:
    """The version an If-Match names; 428 without one, 412 if it is not one of ours."""
    if if_match is None:
        raise HTTPException(
            428, "Send If-Match with the case's ETag, so a colleague's edit is not overwritten."
        )
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise HTTPException(412, "If-Match does not name a version of this case.")
    return int(tag)


@contextmanager
def refused_moves() -> Iterator[None]:
    """A merge or split names an unknown case (404) or is not allowed (409)."""
    try:
        yield
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except MoveRefused as exc:
        raise HTTPException(409, str(exc)) from exc


def case_read(doc: dict[str, Any]) -> CaseRead:
    return CaseRead(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def build_router(read: Any, write: Any, *, csat: Any, page_max: int) -> APIRouter:
    router = APIRouter(prefix="/v1/cases", tags=["cases"])
    Reader = Annotated[Principal, Depends(read)]
    Writer = Annotated[Principal, Depends(write)]
    CsatWriter = Annotated[Principal, Depends(csat)]
    IfMatch = Annotated[
        str | None, Header(description="The ETag of the case as read; required to edit.")
    ]

    async def case_of(principal: Principal, case_id: str, cases: Any) -> dict[str, Any]:
        doc: dict[str, Any] | None = await cases.get(principal.tenant_id, case_id)
        if doc is None:
            raise HTTPException(404, "No such case.")
        return doc

    @router.get("/{case_id}")
    async def get_case(
        case_id: str, principal: Reader, cases: CasesDep, response: Response
    ) -> CaseRead:
        """One case of the caller's tenant; its ETag is what an edit must send in If-Match."""
        doc = await case_of(principal, case_id, cases)
        response.headers["ETag"] = etag(doc)
        return case_read(doc)

    @router.patch("/{case_id}", responses={412: {}, 428: {}})
    async def edit_case(
        case_id: str,
        body: CaseUpdate,
        request: Request,
        principal: Writer,
        cases: CasesDep,
        timeline: TimelineDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> CaseRead:
        """Change status, priority, queue, assignee, tags, custom fields or subject."""
        version = expected_version(if_match)
        current = await case_of(principal, case_id, cases)
        now = utc_now()
        try:
            plan = plan_edit(current, body.model_dump(exclude_unset=True), at=now)
        except EditRefused as exc:
            raise HTTPException(422, str(exc)) from exc
        if not plan.changes:
            response.headers["ETag"] = etag(current)
            return case_read(current)
        fields = dict(plan.fields)
        if "priority" in fields:
            fields.update(cases.sla_for_priority(current, fields["priority"]))
        try:
            updated = await cases.update(
                principal.tenant_id, case_id, expected_version=version, fields=fields
            )
        except VersionConflict as exc:
            raise HTTPException(
                412, "The case changed since you read it: read it again, then edit."
            ) from exc
        if updated is None:
            raise HTTPException(404, "No such case.")
        entry = case_entry(
            updated,
            entry_id=str(uuid.uuid4()),
            kind=plan.kind,
            at=now,
            summary=plan.summary,
            details={"changes": plan.changes, "version": updated["version"]},
            actor=principal.subject,
        )
        await timeline.add(entry)
        await announce(request, updated, entry, principal.subject)
        response.headers["ETag"] = etag(updated)
        return case_read(updated)

    @router.post("/{case_id}/notes", status_code=201)
    async def add_note(
        case_id: str,
        body: NoteCreate,
        request: Request,
        principal: Writer,
        cases: CasesDep,
        timeline: TimelineDep,
    ) -> TimelineEntryRead:
        """An internal note on the case (never sent to the customer); @agent-id mentions."""
        case = await case_of(principal, case_id, cases)
        entry = note_entry(
            case, note_id=uuid.uuid4(), author=principal.subject, text=body.text, at=utc_now()
        )
        await timeline.add(entry)
        await announce(request, case, entry, principal.subject)
        return TimelineEntryRead(id=entry["_id"], **entry)

    @router.post("/{case_id}/typing", status_code=204)
    async def typing(
        case_id: str, body: TypingUpdate, request: Request, principal: Writer, cases: CasesDep
    ) -> None:
        """The agent is typing a reply (or stopped): shown live to a web-chat visitor.
        Best effort and never stored; channels without typing indicators ignore it."""
        case = await case_of(principal, case_id, cases)
        await announce_typing(request, case, agent=principal.subject, active=body.active)

    @router.put("/{case_id}/csat")
    async def record_csat(
        case_id: str,
        body: CsatCreate,
        request: Request,
        principal: CsatWriter,
        cases: CasesDep,
        timeline: TimelineDep,
        response: Response,
    ) -> CaseRead:
        """The customer's satisfaction rating (from a survey integration); the last one counts."""
        await case_of(principal, case_id, cases)
        now = utc_now()
        rating = {**body.model_dump(), "rated_at": now, "recorded_by": principal.subject}
        updated = await cases.update(
            principal.tenant_id, case_id, expected_version=None, fields={"csat": rating}
        )
        if updated is None:
            raise HTTPException(404, "No such case.")
        entry = case_entry(
            updated,
            entry_id=str(uuid.uuid4()),
            kind="case.csat",
            at=now,
            summary=f"CSAT {body.score}/5",
            details={"csat": rating},
            actor=principal.subject,
        )
        await timeline.add(entry)
        await announce(request, updated, entry, principal.subject)
        response.headers["ETag"] = etag(updated)
        return case_read(updated)

    @router.post("/{case_id}/merges")
    async def merge_case(
        case_id: str, body: CaseMergeCreate, request: Request, principal: Writer
    ) -> CaseRead:
        """Merge another case of the same customer into this one (it is closed)."""
        moves: CaseMoves = request.app.state.case_moves
        with refused_moves():
            merged = await moves.merge(
                principal.tenant_id,
                source_id=body.source_case_id,
                target_id=case_id,
                actor=principal.subject,
                reason=body.reason,
                at=utc_now(),
            )
        return case_read(merged)

    @router.post("/{case_id}/split", status_code=201)
    async def split_case(
        case_id: str, body: CaseSplitCreate, request: Request, principal: Writer
    ) -> CaseRead:
        """Move some entries into a new case (a second matter raised in one conversation)."""
        moves: CaseMoves = request.app.state.case_moves
        with refused_moves():
            created = await moves.split(
                principal.tenant_id,
                case_id,
                entry_ids=body.entry_ids,
                subject=body.subject,
                actor=principal.subject,
                at=utc_now(),
            )
        return case_read(created)

    @router.get("/{case_id}/timeline")
    async def read_case_timeline(
        case_id: str,
        principal: Reader,
        cases: CasesDep,
        timeline: TimelineDep,
        limit: Annotated[int, Query(ge=1, le=page_max)] = 50,
        cursor: str | None = None,
        kind: str | None = Query(default=None, max_length=64),
    ) -> TimelinePage:
        """One case's entries, newest first, with a cursor."""
        await case_of(principal, case_id, cases)
        return await timeline_page(
            timeline,
            tenant_id=principal.tenant_id,
            limit=limit,
            cursor=cursor,
            case_id=case_id,
            kind=kind,
        )

    return router
