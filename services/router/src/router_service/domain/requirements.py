"""Skill requirements: a small expression over agent attributes (pure).

Grammar: terms joined by ``&``. ``billing`` (skill at any level), ``billing>=3``
(proficiency 1-5), ``lang=ja``, ``tier>=2``, ``team=vip``. An empty expression
accepts every agent.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

_TERM = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*(>=|<=|=|>|<)?\s*([a-z0-9_-]*)\s*$", re.IGNORECASE)
_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "=": operator.eq,
}


class InvalidRequirement(ValueError):
    """The expression does not follow the grammar."""


@dataclass(frozen=True, slots=True)
class AgentAttributes:
    skills: dict[str, int]
    languages: frozenset[str]
    tier: int
    teams: frozenset[str]


@dataclass(frozen=True, slots=True)
class Term:
    attribute: str
    op: str
    value: str

    def accepts(self, agent: AgentAttributes) -> bool:
        """True when the agent satisfies this term."""
        if self.attribute in ("lang", "language"):
            return self.value in agent.languages
        if self.attribute == "team":
            return self.value in agent.teams
        if self.attribute == "tier":
            return _OPS[self.op](agent.tier, int(self.value))
        level = agent.skills.get(self.attribute)
        return level is not None and _OPS[self.op](level, int(self.value))


@dataclass(frozen=True, slots=True)
class Requirement:
    terms: tuple[Term, ...]

    def accepts(self, agent: AgentAttributes) -> bool:
        """True when the agent satisfies every term."""
        return all(term.accepts(agent) for term in self.terms)

    def proficiency(self, agent: AgentAttributes) -> int:
        """Sum of the agent's levels in the required skills (ties go to the expert)."""
        return sum(
            agent.skills.get(t.attribute, 0)
            for t in self.terms
            if t.attribute not in ("lang", "language", "team", "tier")
        )


def parse_requirement(expression: str) -> Requirement:
    """Parse an expression; raise InvalidRequirement with the offending term."""
    terms = []
    for raw in filter(str.strip, expression.split("&")):
        match = _TERM.match(raw)
        if match is None:
            raise InvalidRequirement(f"cannot read {raw.strip()!r}")
        attribute, op, value = match.group(1).lower(), match.group(2), match.group(3)
        if attribute in ("lang", "language", "team"):
            if op != "=" or not value:
                raise InvalidRequirement(f"{attribute} needs '=value', got {raw.strip()!r}")
        elif op is None:
            op, value = ">=", "1"
        elif not (value.isascii() and value.isdigit()):
            raise InvalidRequirement(f"{attribute} compares to a number, got {raw.strip()!r}")
        terms.append(Term(attribute, op, value.lower()))
    return Requirement(tuple(terms))
