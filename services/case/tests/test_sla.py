"""Due times in business hours, and breach detection (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from case_service.domain.model import Case
from case_service.domain.sla import (
    BusinessCalendar,
    SlaPolicy,
    SlaTarget,
    breaches,
    clock_fields,
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


def case_with(**fields: object) -> Case:
    return Case.model_validate(
        {
            "id": "c1",
            "tenant_id": "acme",
            "customer_id": "cust-1",
            "channel": "email",
            "opened_at": tokyo(24, 10),
            "status": "open",
            **sla_fields(policy(), tokyo(24, 10), "normal"),
            **fields,
        }
    )


def test_a_missed_first_response_is_a_breach_once() -> None:
    case = case_with()
    assert breaches(case, tokyo(24, 10, 59)) == []
    assert breaches(case, tokyo(24, 11, 1)) == [(SlaTarget.FIRST_RESPONSE, tokyo(24, 11))]
    assert next_check(case, tokyo(24, 11, 1)) == tokyo(24, 18)
    sla = {**(case.sla or {}), "first_response_breached_at": tokyo(24, 11)}
    assert breaches(case.model_copy(update={"sla": sla}), tokyo(24, 12)) == []


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


ALWAYS = BusinessCalendar()
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 12, 2, 23, 59, 59, tzinfo=UTC),  # a second before midnight
        datetime(2026, 12, 3, 0, 0, tzinfo=UTC),  # midnight itself
        datetime(2026, 1, 31, 23, 30, tzinfo=UTC),  # month end
        datetime(2026, 12, 31, 23, 45, tzinfo=UTC),  # year end
        datetime(2028, 2, 28, 23, 50, tzinfo=UTC),  # a leap day next
    ],
)
def test_always_open_runs_through_midnight_without_a_gap(start: datetime) -> None:
    assert ALWAYS.add(start, 60) == start + timedelta(minutes=60)
    assert ALWAYS.minutes_between(start, start + timedelta(hours=2)) == 120


def test_a_daylight_saving_change_counts_real_minutes() -> None:
    # New York springs forward on 8 March 2026 at 02:00: 01:30 EST + 60 min = 03:30 EDT.
    always = BusinessCalendar(timezone="America/New_York")
    start = datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK)
    due = always.add(start, 60)
    assert due == datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=1)
    # That day has 23 hours; the autumn one (1 November 2026) has 25.
    spring = datetime(2026, 3, 8, tzinfo=NEW_YORK)
    assert always.minutes_between(spring, datetime(2026, 3, 9, tzinfo=NEW_YORK)) == 23 * 60
    autumn = datetime(2026, 11, 1, tzinfo=NEW_YORK)
    assert always.minutes_between(autumn, datetime(2026, 11, 2, tzinfo=NEW_YORK)) == 25 * 60
    # Business hours on the spring day: 09:00-18:00 local is still nine hours.
    days = BusinessCalendar(
        timezone="America/New_York", hours={6: ((time(9), time(18)),)}
    )  # Sunday
    assert days.add(datetime(2026, 3, 8, 9, tzinfo=NEW_YORK), 9 * 60) == datetime(
        2026, 3, 8, 18, tzinfo=NEW_YORK
    )


def test_a_window_closing_after_midnight_runs_into_the_next_day() -> None:
    night = BusinessCalendar(timezone="Asia/Tokyo", hours={4: ((time(22), time(6)),)})  # Fri
    # Friday 23:00 + 4 hours = Saturday 03:00 (Tokyo).
    assert night.add(tokyo(20, 23), 240) == tokyo(21, 3)
    assert night.minutes_between(tokyo(20, 21), tokyo(21, 7)) == 8 * 60


def test_the_next_opening_names_the_closed_period_and_is_none_while_open() -> None:
    assert TOKYO.next_opening(tokyo(24, 10)) is None  # Tuesday morning: open
    friday_night, saturday = tokyo(20, 19), tokyo(21, 11)
    assert TOKYO.next_opening(friday_night) == tokyo(23, 9)  # Monday at nine
    assert TOKYO.next_opening(saturday) == TOKYO.next_opening(friday_night)  # one period
    assert TOKYO.next_opening(tokyo(24, 7)) == tokyo(24, 9)  # before opening, same day


def test_japanese_public_holidays_come_from_the_holidays_package() -> None:
    from case_service.settings import SlaRules

    calendar = (
        SlaRules(
            hours={"timezone": "Asia/Tokyo", "days": [0, 1, 2, 3, 4, 5, 6]}, public_holidays="JP"
        )
        .policy()
        .calendar
    )
    # 勤労感謝の日, 23 November, this year and next (whatever year the suite runs in).
    for year in (date.today().year, date.today().year + 1):
        holiday = date(year, 11, 23)
        assert holiday in calendar.holidays
        at_ten = datetime(year, 11, 23, 10, tzinfo=TOKYO_ZONE)
        opens = calendar.next_opening(at_ten)  # the 24th at nine, or later for 振替休日
        assert opens is not None
        assert opens >= datetime(year, 11, 24, 9, tzinfo=TOKYO_ZONE)


def test_pending_on_the_customer_stops_the_clock_and_answering_moves_the_dues_on() -> None:
    case = case_with()  # first response due 11:00, resolution 18:00 (Tuesday)
    paused = clock_fields(policy(), case, "pending", tokyo(24, 10, 30))
    assert paused == {"sla.paused_at": tokyo(24, 10, 30), "sla_check_at": None}
    waiting = case_with(status="pending", sla={**(case.sla or {}), "paused_at": tokyo(24, 10, 30)})
    assert breaches(waiting, tokyo(25, 12)) == []  # a day later: nothing missed
    assert next_check(waiting, tokyo(25, 12)) is None
    # The customer answers on Wednesday at 10:30: a whole business day (8 h) stood still.
    resumed = clock_fields(policy(), waiting, "open", tokyo(25, 10, 30))
    assert resumed["sla.first_response_due_at"] == tokyo(25, 11)
    assert resumed["sla.resolution_due_at"] == tokyo(25, 18)
    assert resumed["sla.paused_at"] is None
    assert resumed["sla_check_at"] == tokyo(25, 11)


def test_a_reopened_case_is_watched_again_from_its_reopening() -> None:
    solved = case_with(status="solved", solved_at=tokyo(24, 12))
    reopened = clock_fields(policy(), solved, "open", tokyo(26, 10))
    assert reopened["sla.resolution_due_at"] == tokyo(26, 18)
    assert reopened["sla.resolution_breached_at"] is None
    assert clock_fields(policy(), solved, "closed", tokyo(26, 10)) == {}
    assert clock_fields(None, solved, "open", tokyo(26, 10)) == {}
