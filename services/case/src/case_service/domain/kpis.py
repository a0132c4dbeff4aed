"""Contact-center KPIs from stored events (pure). Definitions, for one period [from, to):

Routing (each task counted once, in the period it was first queued):
- offered: tasks queued in the period.
- answered: offered tasks an agent accepted. abandoned: offered tasks the customer
  left before any acceptance.
- answer_rate = answered / offered.
- service_level = tasks answered within the threshold (wait at acceptance
  <= service_level_seconds) / offered.
- asa (average speed of answer) = mean wait, in seconds, at acceptance of answered tasks.
- aht (average handle time) = mean seconds from acceptance to completion (wrap-up
  included) of answered tasks that completed.
Filters: queue (the task's queue when first queued), channel, agent (the agent who
accepted; offered and abandoned then count only that agent's tasks, so answer
rate is 1 by construction).

Cases:
- solved: cases whose last solve fell in the period.
- fcr (first-contact resolution) = solved cases the customer never had to come
  back to (no answer to a pending case, no reopen, no new call or conversation
  joining it) / solved.
- reopen_rate = solved cases that were reopened at least once / solved.
- backlog: cases not solved or closed, now (not bound to the period).
- csat: ratings recorded in the period; csat_score = share of 4s and 5s; csat_average.
Filters: channel, agent (the case's assignee), queue (the case's queue).
Rates are None when their denominator is zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean
from typing import Any

from case_service.domain.errors import Invalid

MAX_PERIOD = timedelta(days=92)


@dataclass(frozen=True, slots=True)
class KpiFilter:
    start: datetime
    end: datetime
    queue: str | None = None
    channel: str | None = None
    agent_id: str | None = None
    service_level_seconds: float = 20.0

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise Invalid("from and to need a time zone (e.g. 2026-11-02T00:00:00Z).")
        if not self.start < self.end <= self.start + MAX_PERIOD:
            raise Invalid("to must be after from, at most 92 days later.")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _avg(values: list[float]) -> float | None:
    return round(mean(values), 2) if values else None


def routing_kpis(changes: list[dict[str, Any]], f: KpiFilter) -> dict[str, Any]:
    """Figures from routing changes (dicts with task_id, state, queue, channel, agent_id,
    wait_seconds, at), which may extend past the period to see how its tasks ended."""
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        by_task[change["task_id"]].append(change)
    offered = answered = abandoned = within = 0
    waits: list[float] = []
    handles: list[float] = []
    for task_changes in by_task.values():
        task_changes.sort(key=lambda c: c["at"])
        queued = next((c for c in task_changes if c["state"] == "queued"), None)
        if queued is None or not f.start <= queued["at"] < f.end:
            continue
        if (f.queue and queued["queue"] != f.queue) or (
            f.channel and queued["channel"] != f.channel
        ):
            continue
        accepted = next((c for c in task_changes if c["state"] == "accepted"), None)
        if f.agent_id and (accepted is None or accepted.get("agent_id") != f.agent_id):
            continue
        offered += 1
        if accepted is None:
            if any(c["state"] == "abandoned" for c in task_changes):
                abandoned += 1
            continue
        answered += 1
        wait = accepted.get("wait_seconds")
        if wait is None:
            wait = (accepted["at"] - queued["at"]).total_seconds()
        waits.append(wait)
        if wait <= f.service_level_seconds:
            within += 1
        completed = next(
            (c for c in task_changes if c["state"] == "completed" and c["at"] >= accepted["at"]),
            None,
        )
        if completed is not None:
            handles.append((completed["at"] - accepted["at"]).total_seconds())
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "answer_rate": _rate(answered, offered),
        "service_level": _rate(within, offered),
        "service_level_seconds": f.service_level_seconds,
        "asa_seconds": _avg(waits),
        "aht_seconds": _avg(handles),
    }


def case_kpis(
    solved: list[dict[str, Any]],
    rated: list[dict[str, Any]],
    backlog: int,
    recommended: Sequence[int] = (),
) -> dict[str, Any]:
    """Figures from the period's solved cases, its CSAT ratings, the open backlog and
    its NPS answers (``recommended``: 0-10 each)."""
    first_contact = [
        c for c in solved if not c.get("customer_returns") and not c.get("reopen_count")
    ]
    reopened = [c for c in solved if c.get("reopen_count")]
    with_article = [c for c in solved if c.get("knowledge_used")]
    scores = [c["csat"]["score"] for c in rated]
    return {
        "solved": len(solved),
        "fcr": _rate(len(first_contact), len(solved)),
        "solved_with_article": _rate(len(with_article), len(solved)),
        "reopen_rate": _rate(len(reopened), len(solved)),
        "backlog": backlog,
        "csat_responses": len(scores),
        "csat_score": _rate(sum(1 for s in scores if s >= 4), len(scores)),
        "csat_average": _avg([float(s) for s in scores]),
        "nps_responses": len(recommended),
        "nps": _net_promoters(list(recommended)),
    }


def _net_promoters(scores: list[int]) -> float | None:
    """Promoters (9-10) less detractors (0-6), as a share of answers, -100 to 100."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return round(100 * (promoters - detractors) / len(scores), 1)
