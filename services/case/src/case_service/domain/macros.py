"""Macros (定型文): canned reply text with variables, and the case changes that go with
it, applied by an agent in one step (pure).

A variable is ``{{customer.name}}``, with an optional default after a bar:
``{{customer.name|お客様}}``. ``{{customer.salutation}}`` is the polite form for the
customer's language (the macro's, if theirs is not known): 山田様 (or お客様 without
a name) in Japanese, the name (or "customer") otherwise. Unknown variables are refused
when the macro is saved, so a typo never reaches a customer as ``{{custmer.name}}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from case_service.domain.errors import Invalid
from case_service.domain.model import Case, Customer

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|([^{}]*))?\}\}")
FIXED = (
    "customer.name",
    "customer.salutation",
    "customer.language",
    "customer.tier",
    "case.number",
    "case.subject",
    "case.status",
    "case.priority",
    "case.queue",
    "agent.id",
    "agent.name",
)
OPEN_ENDED = ("customer.attributes.", "case.custom_fields.")
SCOPES = ("tenant", "team", "agent")


class UnknownVariable(Invalid):
    """The text names a variable no case, customer or agent has."""


@dataclass(frozen=True, slots=True)
class MacroActions:
    """What applying the macro changes on the case (each optional). ``assignee_id``
    ``me`` is the agent applying it."""

    status: str | None = None
    priority: str | None = None
    queue: str | None = None
    assignee_id: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()

    def any(self) -> bool:
        return any((self.status, self.priority, self.queue, self.assignee_id)) or bool(
            self.add_tags or self.remove_tags
        )


@dataclass(frozen=True, slots=True)
class MacroContext:
    """What the variables are filled from."""

    case: Case
    customer: Customer | None
    agent_id: str
    agent_name: str | None = None
    language: str | None = None
    """The macro's language: how to address a customer whose own is not known."""


def variables_in(text: str) -> list[str]:
    """The variables ``text`` names, in order, each once."""
    return list(dict.fromkeys(match.group(1) for match in VARIABLE.finditer(text)))


def check_text(text: str) -> None:
    """Refuse a text naming a variable that does not exist."""
    unknown = [name for name in variables_in(text) if not _known(name)]
    if unknown:
        listed = ", ".join("{{" + name + "}}" for name in unknown)
        raise UnknownVariable(
            f"unknown variable(s) {listed}: use {', '.join(FIXED)},"
            " customer.attributes.<name> or case.custom_fields.<name>"
        )


def _known(name: str) -> bool:
    return name in FIXED or any(
        name.startswith(prefix) and len(name) > len(prefix) for prefix in OPEN_ENDED
    )


def render(text: str, context: MacroContext) -> str:
    """The text with every variable filled (its default, or nothing, when empty)."""
    values = _values(context)

    def fill(match: re.Match[str]) -> str:
        value = values(match.group(1))
        if value in (None, ""):
            return (match.group(2) or "").strip()
        return str(value)

    return VARIABLE.sub(fill, text)


def _values(context: MacroContext) -> Any:
    case, customer = context.case, context.customer
    name = customer.display_name if customer else None
    language = (customer.language if customer else None) or context.language or ""
    fixed: dict[str, Any] = {
        "customer.name": name,
        "customer.salutation": _salutation(name, language),
        "customer.language": language,
        "customer.tier": customer.tier if customer else None,
        "case.number": case_number(case.id),
        "case.subject": case.subject,
        "case.status": case.status.value,
        "case.priority": case.priority,
        "case.queue": case.queue,
        "agent.id": context.agent_id,
        "agent.name": context.agent_name or context.agent_id,
    }

    def value(variable: str) -> Any:
        if variable in fixed:
            return fixed[variable]
        if variable.startswith("customer.attributes.") and customer:
            return customer.attributes.get(variable.removeprefix("customer.attributes."))
        if variable.startswith("case.custom_fields."):
            return case.custom_fields.get(variable.removeprefix("case.custom_fields."))
        return None

    return value


def _salutation(name: str | None, language: str) -> str:
    if language.lower().startswith("ja"):
        return f"{name}様" if name else "お客様"
    return name or "customer"


def case_number(case_id: str) -> str:
    """The case's short reference, as the desk shows it (the first 8 characters of its
    id, upper case): what a customer quotes back."""
    return case_id.replace("-", "")[:8].upper()


def macro_patch(actions: MacroActions, case: Case, agent_id: str) -> dict[str, Any]:
    """The case edit (as a PATCH body) the macro's actions make on ``case``."""
    patch: dict[str, Any] = {}
    if actions.status:
        patch["status"] = actions.status
    if actions.priority:
        patch["priority"] = actions.priority
    if actions.queue:
        patch["queue"] = actions.queue
    if actions.assignee_id:
        patch["assignee_id"] = agent_id if actions.assignee_id == "me" else actions.assignee_id
    if actions.add_tags or actions.remove_tags:
        tags = (set(case.tags) | set(actions.add_tags)) - set(actions.remove_tags)
        patch["tags"] = sorted(tags)
    return patch


def visible_to(scope: str, owner: str | None, *, agent_id: str, teams: Iterable[str]) -> bool:
    """Whether a macro of ``scope`` (owned by ``owner``: a team or an agent) is offered
    to this agent: the tenant's to everyone, a team's to its members, an agent's own."""
    if scope == "tenant":
        return True
    if scope == "team":
        return owner in set(teams)
    return owner == agent_id
