"""A scripted day of routing on 2 November 2026 (UTC), whose KPIs are worked out by hand.

task  queue    channel  queued     outcome                                 wait  handle
T1    billing  voice    09:00:00   ana accepts 09:00:10, completes 09:05:10   10    300
T2    billing  voice    09:10:00   bob accepts 09:10:40, completes 09:20:40   40    600
T3    billing  webchat  10:00:00   abandoned at 10:01:00                       -      -
T4    tech     webchat  11:00:00   ana accepts 11:00:05, completes 11:03:05    5    180
T5    billing  voice    23:59:00   bob accepts 00:00:30 (3 Nov), completes     90    120
                                   00:02:30 (counted: queued in the day)
T6    billing  voice    1 Nov 23:50  accepted 2 Nov 00:00:10 (not counted: queued before)
T7    tech     voice    15:00:00   offered, timed out, never answered          -      -

Whole day: offered 6 (T1-T5, T7), answered 4, abandoned 1, answer rate 4/6 = 0.6667,
service level at 20 s 2/6 = 0.3333 (T1, T4), ASA (10+40+5+90)/4 = 36.25 s,
AHT (300+600+180+120)/4 = 300 s.
billing: offered 4, answered 3, abandoned 1, answer rate 0.75, service level 1/4 = 0.25,
ASA 140/3 = 46.67, AHT 1020/3 = 340.
agent ana: offered 2, answered 2, service level 1.0, ASA 7.5, AHT 240.
webchat: offered 2, answered 1, abandoned 1, service level 0.5, ASA 5, AHT 180.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

DAY_START = datetime(2026, 11, 2, tzinfo=UTC)
DAY_END = datetime(2026, 11, 3, tzinfo=UTC)


def at(hh: int, mm: int, ss: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=UTC)


def change(
    task: str,
    state: str,
    when: datetime,
    queue: str,
    channel: str,
    agent: str | None = None,
    wait: float | None = None,
) -> dict[str, Any]:
    return {
        "task_id": task,
        "state": state,
        "at": when,
        "queue": queue,
        "channel": channel,
        "agent_id": agent,
        "wait_seconds": wait,
    }


CHANGES = [
    change("T1", "queued", at(9, 0), "billing", "voice"),
    change("T1", "offered", at(9, 0, 2), "billing", "voice", "ana"),
    change("T1", "accepted", at(9, 0, 10), "billing", "voice", "ana", 10),
    change("T1", "completed", at(9, 5, 10), "billing", "voice", "ana"),
    change("T2", "queued", at(9, 10), "billing", "voice"),
    change("T2", "accepted", at(9, 10, 40), "billing", "voice", "bob", 40),
    change("T2", "completed", at(9, 20, 40), "billing", "voice", "bob"),
    change("T3", "queued", at(10, 0), "billing", "webchat"),
    change("T3", "abandoned", at(10, 1), "billing", "webchat"),
    change("T4", "queued", at(11, 0), "tech", "webchat"),
    change("T4", "accepted", at(11, 0, 5), "tech", "webchat", "ana", 5),
    change("T4", "completed", at(11, 3, 5), "tech", "webchat", "ana"),
    change("T5", "queued", at(23, 59), "billing", "voice"),
    change("T5", "accepted", at(0, 0, 30, day=3), "billing", "voice", "bob", 90),
    change("T5", "completed", at(0, 2, 30, day=3), "billing", "voice", "bob"),
    change("T6", "queued", at(23, 50, day=1), "billing", "voice"),
    change("T6", "accepted", at(0, 0, 10), "billing", "voice", "ana", 620),
    change("T7", "queued", at(15, 0), "tech", "voice"),
    change("T7", "offered", at(15, 0, 1), "tech", "voice", "bob"),
    change("T7", "timed_out", at(15, 0, 31), "tech", "voice", "bob"),
]

WHOLE_DAY = {
    "offered": 6,
    "answered": 4,
    "abandoned": 1,
    "answer_rate": 0.6667,
    "service_level": 0.3333,
    "service_level_seconds": 20.0,
    "asa_seconds": 36.25,
    "aht_seconds": 300.0,
}
BILLING = {
    "offered": 4,
    "answered": 3,
    "abandoned": 1,
    "answer_rate": 0.75,
    "service_level": 0.25,
    "service_level_seconds": 20.0,
    "asa_seconds": 46.67,
    "aht_seconds": 340.0,
}
ANA = {
    "offered": 2,
    "answered": 2,
    "abandoned": 0,
    "answer_rate": 1.0,
    "service_level": 1.0,
    "service_level_seconds": 20.0,
    "asa_seconds": 7.5,
    "aht_seconds": 240.0,
}
WEBCHAT = {
    "offered": 2,
    "answered": 1,
    "abandoned": 1,
    "answer_rate": 0.5,
    "service_level": 0.5,
    "service_level_seconds": 20.0,
    "asa_seconds": 5.0,
    "aht_seconds": 180.0,
}
