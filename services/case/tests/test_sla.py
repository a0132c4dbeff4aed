"""Due times in business hours, and breach detection (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from case_service.domain.sla import (
    BusinessCalendar,
    SlaPolicy,
    SlaTarget,
    breaches,
    next_check,
    sla_fields,
)

WEEKDAYS_9_TO_6: dict[int, tuple[tuple[time, time], ...]] = {
    d: ((time(9), time(18)),) for d in range(5)
}
TOKYO = BusinessCalendar(timezone="Asia/Tokyo", hours=WEEKDAYS_9_TO_6)
TOKYO_ZONE = ZoneInfo("Asia/Tokyo")


def tokyo(day: int, hour: int, minute: int = 0) -> datetime:
    """A November 2026 instant given in Tokyo time, as UTC (Tokyo is UTC+9)."""
    local = datetime(2026, 11, day, hour, minute, tzinfo=TOKYO_ZONE)
    return local.astimezone(UTC)


def test_the_clock_stops_outside_business_hours() -> None:
    # Friday 17:30 + 60 business minutes = Monday 09:30 (Tokyo).
    assert TOKYO.add(tokyo(20, 17, 30), 60) == tokyo(23, 9, 30)
    # Opened on Saturday: the clock starts on Monday at nine.
    assert TOKYO.add(tokyo(21, 11), 30) == tokyo(23, 9, 30)
    # Within the day.
    assert TOKYO.add(tokyo(24, 10), 90) == tokyo(24, 11, 30)


def test_holidays_are_skipped() -> None:
    calendar = BusinessCalendar(
        timezone="Asia/Tokyo", hours=WEEKDAYS_9_TO_6, holidays=frozenset({date(2026, 11, 23)})
    )
    # Friday 17:00 + 2 hours: one hour on Friday, Monday is Labour Thanksgiving Day.
    assert calendar.add(tokyo(20, 17), 120) == tokyo(24, 10)


def test_business_minutes_between_two_instants() -> None:
    assert TOKYO.minutes_between(tokyo(20, 17), tokyo(23, 10)) == 120
    assert TOKYO.minutes_between(tokyo(23, 10), tokyo(20, 17)) == 0


def policy() -> SlaPolicy:
    return SlaPolicy(
        calendar=TOKYO,
        first_response_minutes={"normal": 60, "urgent": 15},
        resolution_minutes={"normal": 480},
    )


def test_due_times_follow_priority() -> None:
    opened = tokyo(24, 10)
    normal = sla_fields(policy(), opened, "normal")
    assert normal["sla"] == {
        "first_response_due_at": tokyo(24, 11),
        "resolution_due_at": tokyo(24, 18),  # eight business hours: the same day
    }
    assert normal["sla_check_at"] == tokyo(24, 11)
    urgent = sla_fields(policy(), opened, "urgent")
    assert urgent["sla"]["resolution_due_at"] is None  # no target for urgent resolution
    assert sla_fields(None, opened, "normal") == {}


def case_with(**fields: object) -> dict[str, object]:
    return {"status": "open", **sla_fields(policy(), tokyo(24, 10), "normal"), **fields}


def test_a_missed_first_response_is_a_breach_once() -> None:
    case = case_with()
    assert breaches(case, tokyo(24, 10, 59)) == []
    assert breaches(case, tokyo(24, 11, 1)) == [(SlaTarget.FIRST_RESPONSE, tokyo(24, 11))]
    assert next_check(case, tokyo(24, 11, 1)) == tokyo(24, 18)
    case["sla"]["first_response_breached_at"] = tokyo(24, 11)  # type: ignore[index]
    assert breaches(case, tokyo(24, 12)) == []


def test_met_targets_are_not_breaches_and_late_ones_are() -> None:
    on_time = case_with(first_response_at=tokyo(24, 10, 30))
    assert breaches(on_time, tokyo(24, 12)) == []
    late = case_with(first_response_at=tokyo(24, 11, 30))
    assert breaches(late, tokyo(24, 12)) == [(SlaTarget.FIRST_RESPONSE, tokyo(24, 11))]
    solved = case_with(
        first_response_at=tokyo(24, 10, 30), status="solved", solved_at=tokyo(24, 15)
    )
    assert breaches(solved, tokyo(26, 10)) == []
    assert next_check(solved, tokyo(24, 15)) is None
