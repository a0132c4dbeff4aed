"""KPIs of a scripted day, against figures worked out by hand (see tests/kpi_day.py)."""

from __future__ import annotations

from typing import Any

from case_service.domain.kpis import KpiFilter, case_kpis, routing_kpis
from tests.kpi_day import ANA, BILLING, CHANGES, DAY_END, DAY_START, WEBCHAT, WHOLE_DAY


def day(**filters: str) -> KpiFilter:
    return KpiFilter(start=DAY_START, end=DAY_END, **filters)  # type: ignore[arg-type]


def test_the_whole_day() -> None:
    assert routing_kpis(CHANGES, day()) == WHOLE_DAY


def test_by_queue_agent_and_channel() -> None:
    assert routing_kpis(CHANGES, day(queue="billing")) == BILLING
    assert routing_kpis(CHANGES, day(agent_id="ana")) == ANA
    assert routing_kpis(CHANGES, day(channel="webchat")) == WEBCHAT


def test_an_empty_period_has_no_rates() -> None:
    empty = routing_kpis([], day())
    assert empty["offered"] == 0
    assert empty["answer_rate"] is None
    assert empty["asa_seconds"] is None


def test_case_figures() -> None:
    solved: list[dict[str, Any]] = [
        {"_id": "C1"},
        {"_id": "C2", "reopen_count": 1},
        {"_id": "C3", "customer_returns": 1},
        {"_id": "C4", "customer_returns": 0, "reopen_count": 0, "knowledge_used": [{"id": "a"}]},
    ]
    rated = [{"csat": {"score": s}} for s in (5, 4, 2)]
    assert case_kpis(solved, rated, backlog=7, recommended=[10, 9, 7, 3]) == {
        "solved": 4,
        "fcr": 0.5,
        "reopen_rate": 0.25,
        "solved_with_article": 0.25,
        "backlog": 7,
        "csat_responses": 3,
        "csat_score": 0.6667,
        "csat_average": 3.67,
        "nps_responses": 4,
        "nps": 25.0,  # two promoters, one detractor, of four
    }
