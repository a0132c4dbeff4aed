"""Macros (定型文): kept per tenant, team or agent, and applied to a case in one step."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from case_service.api.cases import case_read
from case_service.api.router_proxy import ask_router
from case_service.api.schemas import CaseRead, Tag
from case_service.service.macro_desk import Agent, MacroDesk
from cc_common.auth import Principal
from cc_common.events import Channel

Status = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]


class MacroActionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    priority: Priority | None = None
    queue: str | None = Field(default=None, max_length=63)
    assignee_id: str | None = Field(
        default=None, max_length=128, description="An agent id, or `me`: whoever applies it."
    )
    add_tags: list[Tag] = Field(default_factory=list, max_length=20)
    remove_tags: list[Tag] = Field(default_factory=list, max_length=20)


class MacroWrite(BaseModel):
    """A macro: reply text with variables, case changes, or both."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    scope: Literal["tenant", "team", "agent"] = Field(
        description="Offered to the whole tenant, to one team's members, or to its author"
        " only (tenant and team macros are kept by supervisors)."
    )
    team: str | None = Field(default=None, max_length=63, description="For scope `team`.")
    language: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    text: str | None = Field(
        default=None,
        max_length=10_000,
        description="The reply, with variables such as {{customer.salutation}},"
        " {{case.number}}, {{agent.name}}, {{customer.attributes.x}} and a default after a"
        " bar: {{customer.name|お客様}}.",
    )
    actions: MacroActionsBody = Field(default_factory=MacroActionsBody)


class MacroRead(MacroWrite):
    model_config = ConfigDict(extra="ignore")

    id: str
    owner: str | None = Field(description="The team or the agent a macro belongs to.")
    usage_count: int = 0
    last_used_at: datetime | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class MacroUse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=100_000,
        description="The agent's edit of the filled text; default: the macro's, filled.",
    )
    channel: Channel | None = Field(
        default=None, description="Reply on another channel the customer wrote on."
    )
    takeover: bool = Field(
        default=False, description="Send although a colleague is drafting on the case."
    )


class MacroPreview(BaseModel):
    text: str | None


class MacroOutcome(BaseModel):
    case: CaseRead
    text: str | None = Field(description="What was sent (none: the macro only changes the case).")
    reply_id: uuid.UUID | None = None
    reply_status: str | None = None


def _macro_read(doc: dict[str, Any]) -> MacroRead:
    return MacroRead.model_validate({**doc, "id": doc["_id"]})


def _fields(body: MacroWrite) -> dict[str, Any]:
    fields = body.model_dump()
    if not fields.get("text") and not any(fields["actions"].values()):
        raise HTTPException(422, "A macro needs reply text, case changes, or both.")
    return fields


def _macros(request: Request) -> MacroDesk:
    desk: MacroDesk = request.app.state.macro_desk
    return desk


async def _agent(request: Request, principal: Principal) -> Agent:
    """The caller with their name and teams from the router; without them (the
    router down, or the caller configured on no router) only tenant-wide and their own
    macros are offered, and ``{{agent.name}}`` is their id."""
    try:
        work = await ask_router(request, f"/v1/agents/{quote(principal.subject, safe='')}/tasks")
    except HTTPException:
        return Agent(principal)
    return Agent(principal, name=work.get("display_name"), teams=tuple(work.get("teams") or ()))


def build_router(write: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["macros"])
    Writer = Annotated[Principal, Depends(write)]
    Desk = Annotated[MacroDesk, Depends(_macros)]
    IdempotencyKey = Annotated[
        str | None,
        Header(max_length=128, description="The same key again applies the macro once."),
    ]

    @router.get("/macros")
    async def list_macros(request: Request, principal: Writer, desk: Desk) -> list[MacroRead]:
        """The macros the caller may apply (the tenant's, their teams', their own), the
        most used first; a supervisor sees every team's."""
        offered = await desk.offered(await _agent(request, principal))
        return [_macro_read(doc) for doc in offered]

    @router.post("/macros", status_code=201)
    async def create_macro(body: MacroWrite, principal: Writer, desk: Desk) -> MacroRead:
        """Keep a macro: one's own (any agent), or the tenant's or a team's (supervisors)."""
        return _macro_read(await desk.create(principal, _fields(body)))

    @router.put("/macros/{macro_id}")
    async def replace_macro(
        macro_id: str, body: MacroWrite, principal: Writer, desk: Desk
    ) -> MacroRead:
        return _macro_read(await desk.replace(principal, macro_id, _fields(body)))

    @router.delete("/macros/{macro_id}", status_code=204)
    async def delete_macro(macro_id: str, principal: Writer, desk: Desk) -> Response:
        await desk.delete(principal, macro_id)
        return Response(status_code=204)

    @router.post("/cases/{case_id}/macros/{macro_id}/preview")
    async def preview_macro(
        case_id: str, macro_id: str, request: Request, principal: Writer, desk: Desk
    ) -> MacroPreview:
        """The macro's text filled in for this case, to read (and edit) before sending."""
        agent = await _agent(request, principal)
        return MacroPreview(text=await desk.preview(agent, case_id, macro_id))

    @router.post("/cases/{case_id}/macros/{macro_id}/apply")
    async def apply_macro(
        case_id: str,
        macro_id: str,
        body: MacroUse,
        request: Request,
        principal: Writer,
        desk: Desk,
        idempotency_key: IdempotencyKey = None,
    ) -> MacroOutcome:
        """Send the macro's reply and make its case changes, recorded as one change
        (a `case.macro` entry and its `case.changed` event); the case changes are
        checked first, so a refused one sends nothing."""
        applied = await desk.apply(
            await _agent(request, principal),
            case_id,
            macro_id,
            text=body.text,
            channel=body.channel,
            idempotency_key=idempotency_key,
            takeover=body.takeover,
        )
        reply = applied.reply.entry["reply"] if applied.reply else None
        return MacroOutcome(
            case=case_read(applied.case),
            text=applied.text,
            reply_id=reply["reply_id"] if reply else None,
            reply_status=reply["status"] if reply else None,
        )

    return router
