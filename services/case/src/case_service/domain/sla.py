"""Service-level targets in business hours: due times and breaches (pure).

A target is a number of business minutes: a first response due in 60 minutes on a
case opened at 17:30 on Friday, with hours 09:00-18:00 on weekdays, is due at 09:30
on Monday. Holidays are whole days off. An interval closing at 00:00 runs to the end
of its day (one closing at or before its opening ends the next day), so an
always-open calendar has no gap at midnight. Durations are counted
in real time (in UTC), so a day with a daylight-saving change has 23 or 25 hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from case_service.domain.model import Case

_MAX_DAYS_AHEAD = 400
"""A target cannot reach further than this (a calendar with no open hours at all)."""


class SlaTarget(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    timezone: str = "UTC"
    hours: dict[int, tuple[tuple[time, time], ...]] = field(
        default_factory=lambda: {d: ((time(0), time(0)),) for d in range(7)}
    )
    """Weekday (Monday 0) -> open intervals, local time; a close at or before the opening
    is on the next day (00:00: the end of the day). Default: always open."""
    holidays: frozenset[date] = frozenset()

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        zone = ZoneInfo(self.timezone)
        intervals = []
        for start, end in self.hours.get(day.weekday(), ()):
            end_day = day + timedelta(days=1) if end <= start else day
            intervals.append(
                (
                    datetime.combine(day, start, zone).astimezone(UTC),
                    datetime.combine(end_day, end, zone).astimezone(UTC),
                )
            )
        return intervals

    def add(self, start: datetime, minutes: float) -> datetime:
        """The instant ``minutes`` business minutes after ``start``."""
        remaining = timedelta(minutes=minutes)
        given_zone, start = start.tzinfo, start.astimezone(UTC)
        day = start.astimezone(ZoneInfo(self.timezone)).date()
        for _ in range(_MAX_DAYS_AHEAD):
            for opens, closes in self._intervals(day):
                begin = max(opens, start)
                if begin >= closes:
                    continue
                if begin + remaining <= closes:
                    return (begin + remaining).astimezone(given_zone)
                remaining -= closes - begin
            day += timedelta(days=1)
        raise ValueError("the calendar has no business hours within a year")

    def next_opening(self, at: datetime) -> datetime | None:
        """None while open at ``at``; otherwise when it opens next (which also names
        the closed period ``at`` falls in)."""
        at = at.astimezone(UTC)
        day = at.astimezone(ZoneInfo(self.timezone)).date() - timedelta(days=1)
        for _ in range(_MAX_DAYS_AHEAD):
            for opens, closes in self._intervals(day):
                if opens <= at < closes:
                    return None
                if opens > at:
                    return opens
            day += timedelta(days=1)
        raise ValueError("the calendar has no business hours within a year")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes from ``start`` to ``end`` (0 if end is not later)."""
        if end <= start:
            return 0.0
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta()
        zone = ZoneInfo(self.timezone)
        day = start.astimezone(zone).date()
        last = end.astimezone(zone).date()
        while day <= last:
            for opens, closes in self._intervals(day):
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds() / 60


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    calendar: BusinessCalendar
    first_response_minutes: dict[str, float]
    """Priority -> business minutes to the first agent response."""
    resolution_minutes: dict[str, float]
    """Priority -> business minutes to solved."""

    def due_times(self, opened_at: datetime, priority: str) -> dict[str, datetime | None]:
        """When the case's first response and resolution are due (None: no target)."""
        due: dict[str, datetime | None] = {}
        for target, table in (
            (SlaTarget.FIRST_RESPONSE, self.first_response_minutes),
            (SlaTarget.RESOLUTION, self.resolution_minutes),
        ):
            minutes = table.get(priority)
            due[f"{target.value}_due_at"] = (
                self.calendar.add(opened_at, minutes) if minutes is not None else None
            )
        return due


def sla_fields(policy: SlaPolicy | None, opened_at: datetime, priority: str) -> dict[str, Any]:
    """The case fields a policy sets: due times, and when the breach checker looks next."""
    if policy is None:
        return {}
    due = policy.due_times(opened_at, priority)
    pending = [d for d in due.values() if d is not None]
    return {"sla": due, "sla_check_at": min(pending) if pending else None}


def _achieved(case: Case) -> dict[SlaTarget, datetime | None]:
    solved = case.status in ("solved", "closed")
    return {
        SlaTarget.FIRST_RESPONSE: case.first_response_at,
        SlaTarget.RESOLUTION: case.solved_at if solved else None,
    }


def clock_fields(policy: SlaPolicy | None, case: Case, target: str, at: datetime) -> dict[str, Any]:
    """What a move of ``case`` to status ``target`` at ``at`` does to its SLA clock:
    pending on the customer stops it; leaving pending moves every open due time on by
    the business minutes it stood still; a solved case reopened is watched again (its
    resolution due from the reopening)."""
    sla = case.sla
    if policy is None or not sla or target == case.status.value:
        return {}
    if target == "pending":
        return {"sla.paused_at": at, "sla_check_at": None}
    paused_at = sla.get("paused_at")
    if case.status.value == "pending" and paused_at is not None:
        stood = policy.calendar.minutes_between(paused_at, at)
        moved = {
            f"sla.{t.value}_due_at": policy.calendar.add(due, stood)
            for t in SlaTarget
            if (due := sla.get(f"{t.value}_due_at")) is not None
            and sla.get(f"{t.value}_breached_at") is None
        }
        return {**moved, "sla.paused_at": None, "sla_check_at": min(moved.values(), default=None)}
    if case.status.value == "solved" and target == "open":
        minutes = policy.resolution_minutes.get(case.priority)
        if minutes is None:
            return {}
        due = policy.calendar.add(at, minutes)
        return {
            "sla.resolution_due_at": due,
            "sla.resolution_breached_at": None,
            "sla_check_at": due,
        }
    return {}


def breaches(case: Case, now: datetime) -> list[tuple[SlaTarget, datetime]]:
    """Targets the case has missed by ``now`` and that are not recorded yet (none while
    the case is pending on the customer: its clock stands still)."""
    sla = case.sla or {}
    if sla.get("paused_at"):
        return []
    achieved = _achieved(case)
    found: list[tuple[SlaTarget, datetime]] = []
    for target in SlaTarget:
        due = sla.get(f"{target.value}_due_at")
        if due is None or sla.get(f"{target.value}_breached_at") is not None or due > now:
            continue
        done = achieved[target]
        if done is None or done > due:
            found.append((target, due))
    return found


def next_check(case: Case, now: datetime) -> datetime | None:
    """When the checker should look at the case again: the earliest due time of a
    target not yet met and not yet breached (None: nothing left to watch, or the clock
    stands still until the case stops pending)."""
    sla = case.sla or {}
    if sla.get("paused_at"):
        return None
    achieved = _achieved(case)
    breached = {t for t, _ in breaches(case, now)}
    pending = [
        due
        for target in SlaTarget
        if (due := sla.get(f"{target.value}_due_at")) is not None
        and target not in breached
        and sla.get(f"{target.value}_breached_at") is None
        and achieved[target] is None
        and due > now
    ]
    return min(pending) if pending else None


def priority_due_fields(policy: SlaPolicy | None, case: Case, priority: str) -> dict[str, Any]:
    """The due-time fields a priority change sets (the clock still starts at opening)."""
    fields = sla_fields(policy, case.opened_at, priority)
    if not fields:
        return {}
    dotted = {f"sla.{name}": due for name, due in fields["sla"].items()}
    return {**dotted, "sla_check_at": fields["sla_check_at"]}
