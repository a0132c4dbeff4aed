"""Macros: who may keep which, which an agent is offered, and applying one to a case
(its reply and its case changes as one recorded change, counted once)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from case_service.domain.edits import plan_edit
from case_service.domain.errors import Forbidden, Invalid, NotFound
from case_service.domain.macros import (
    MacroActions,
    MacroContext,
    check_text,
    macro_patch,
    render,
    visible_to,
)
from case_service.domain.model import Case, Customer
from case_service.ports import MacroStore
from case_service.service.case_desk import CaseChangeCause, CaseDesk, ReplyOutcome
from cc_common.events import Channel, Content, utc_now
from cc_common.principals import Principal, Role

MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
_MACRO_NAMESPACE = uuid.UUID("9b5a3f0e-6f0b-4f55-9f5e-2d8c1c6a7e11")


@dataclass(frozen=True, slots=True)
class Agent:
    """The caller as the router knows them (teams decide which macros they see)."""

    principal: Principal
    name: str | None = None
    teams: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MacroApplied:
    case: Case
    text: str | None
    reply: ReplyOutcome | None


class MacroDesk:
    def __init__(
        self,
        *,
        macros: MacroStore,
        desk: CaseDesk,
        customer: Callable[[str, str], Any],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._macros = macros
        self._desk = desk
        self._customer = customer
        self._clock = clock

    async def offered(self, agent: Agent) -> list[dict[str, Any]]:
        """The macros this agent may apply (a supervisor also sees every team's)."""
        caller = agent.principal
        return [
            macro
            for macro in await self._macros.of_tenant(caller.tenant_id)
            if self._may_apply(agent, macro)
        ]

    async def create(self, caller: Principal, fields: dict[str, Any]) -> dict[str, Any]:
        owner = self._owner(caller, fields)
        check_text(fields.get("text") or "")
        now = self._clock()
        macro = {
            **fields,
            "_id": str(uuid.uuid4()),
            "tenant_id": caller.tenant_id,
            "owner": owner,
            "usage_count": 0,
            "last_used_at": None,
            "created_by": caller.subject,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        await self._macros.create(macro)
        return macro

    async def replace(
        self, caller: Principal, macro_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        await self._kept_by(caller, macro_id)
        owner = self._owner(caller, fields)
        check_text(fields.get("text") or "")
        stored = await self._macros.replace(
            caller.tenant_id, macro_id, {**fields, "owner": owner, "updated_at": self._clock()}
        )
        if stored is None:
            raise NotFound("No such macro.")
        return stored

    async def delete(self, caller: Principal, macro_id: str) -> None:
        await self._kept_by(caller, macro_id)
        await self._macros.delete(caller.tenant_id, macro_id)

    async def preview(self, agent: Agent, case_id: str, macro_id: str) -> str | None:
        """The macro's text filled for this case, as it would be sent."""
        macro = await self._offered(agent, macro_id)
        case = await self._desk.case(agent.principal.tenant_id, case_id)
        return await self._text(agent, macro, case)

    async def apply(
        self,
        agent: Agent,
        case_id: str,
        macro_id: str,
        *,
        text: str | None = None,
        channel: Channel | None = None,
        idempotency_key: str | None = None,
        takeover: bool = False,
    ) -> MacroApplied:
        """Reply with the macro's text (or the agent's edit of it) and make its case
        changes, recorded as one change naming the macro. The changes are checked
        before anything is sent, so a refused change sends nothing; the same
        ``idempotency_key`` again sends, changes and counts nothing twice."""
        caller = agent.principal
        macro = await self._offered(agent, macro_id)
        case = await self._desk.case(caller.tenant_id, case_id)
        patch = macro_patch(_actions(macro), case, caller.subject)
        plan_edit(case, patch, at=self._clock())  # refused now, not after the reply went
        body = text if text is not None else await self._text(agent, macro, case)
        use = idempotency_key or str(uuid.uuid4())
        reply = None
        if body:
            reply = await self._desk.reply(
                caller,
                case_id,
                Content(text=body),
                channel=channel,
                idempotency_key=f"macro:{macro_id}:{use}",
                takeover=takeover,
            )
        cause = CaseChangeCause(
            entry_id=str(uuid.uuid5(_MACRO_NAMESPACE, f"{case_id}|{macro_id}|{use}")),
            kind="case.macro",
            summary=f"macro: {macro['title']}",
            details={
                "macro_id": macro_id,
                "macro_title": macro["title"],
                "reply_id": reply.entry["_id"] if reply else None,
            },
        )
        updated = await self._desk.apply_patch(
            caller, case_id, patch, expected_version=None, cause=cause
        )
        await self._macros.count_use(caller.tenant_id, macro_id, use, self._clock())
        return MacroApplied(updated, body, reply)

    async def _text(self, agent: Agent, macro: dict[str, Any], case: Case) -> str | None:
        if not macro.get("text"):
            return None
        customer: Customer | None = await self._customer(case.tenant_id, case.customer_id)
        context = MacroContext(
            case=case,
            customer=customer,
            agent_id=agent.principal.subject,
            agent_name=agent.name,
            language=macro.get("language"),
        )
        return render(macro["text"], context)

    async def _offered(self, agent: Agent, macro_id: str) -> dict[str, Any]:
        macro = await self._macros.get(agent.principal.tenant_id, macro_id)
        if macro is None or not self._may_apply(agent, macro):
            raise NotFound("No such macro.")
        return macro

    @staticmethod
    def _may_apply(agent: Agent, macro: dict[str, Any]) -> bool:
        """Offered to this agent; a supervisor may apply every team's too."""
        caller = agent.principal
        if macro["scope"] == "team" and caller.has_any(MANAGERS):
            return True
        return visible_to(
            macro["scope"], macro["owner"], agent_id=caller.subject, teams=agent.teams
        )

    async def _kept_by(self, caller: Principal, macro_id: str) -> dict[str, Any]:
        """The macro, if the caller may change it: their own, or any tenant or team
        macro for a supervisor."""
        macro = await self._macros.get(caller.tenant_id, macro_id)
        if macro is None:
            raise NotFound("No such macro.")
        if macro["scope"] == "agent" and macro["owner"] != caller.subject:
            raise NotFound("No such macro.")  # another agent's own: not even seen
        if macro["scope"] != "agent" and not caller.has_any(MANAGERS):
            raise Forbidden("Only a supervisor changes the tenant's and teams' macros.")
        return macro

    @staticmethod
    def _owner(caller: Principal, fields: dict[str, Any]) -> str | None:
        scope = fields["scope"]
        if scope == "agent":
            return caller.subject
        if not caller.has_any(MANAGERS):
            raise Forbidden("Only a supervisor keeps macros for the tenant or a team.")
        if scope == "team":
            team = fields.get("team")
            if not team:
                raise Invalid("a team macro names its team")
            return str(team)
        return None


def _actions(macro: dict[str, Any]) -> MacroActions:
    actions = macro.get("actions") or {}
    return MacroActions(
        status=actions.get("status"),
        priority=actions.get("priority"),
        queue=actions.get("queue"),
        assignee_id=actions.get("assignee_id"),
        add_tags=tuple(actions.get("add_tags") or ()),
        remove_tags=tuple(actions.get("remove_tags") or ()),
    )
