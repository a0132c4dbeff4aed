"""Providers' clocks: their stated event times, read and judged (pure).

A provider's time (Twilio's ``Timestamp``, a mail's ``Date``, LINE's
``timestamp``) is kept as it was stated (``provider_time``), but it orders the
timeline only when believable: a sender's wrong clock (or a spammer) must not
move a message to 1970 or to next year.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

CLOCK_SKEW = timedelta(minutes=5)
OLDEST_PLAUSIBLE = timedelta(days=7)
_MILLIS_FROM = 100_000_000_000
"""Epoch values above this are milliseconds (as seconds it would be the year 5138)."""


def plausible_time(stated: datetime | None, received_at: datetime) -> datetime:
    """``stated`` when believable (at most a week old, at most 5 minutes ahead),
    else when we received the event."""
    if stated is None:
        return received_at
    if stated.tzinfo is None:
        stated = stated.replace(tzinfo=received_at.tzinfo)
    if received_at - OLDEST_PLAUSIBLE <= stated <= received_at + CLOCK_SKEW:
        return stated
    return received_at


def epoch_time(value: object) -> datetime | None:
    """An epoch timestamp in seconds or milliseconds (number or digits), or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    if not number > 0 or number != number or number == float("inf"):
        return None
    if number >= _MILLIS_FROM:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
