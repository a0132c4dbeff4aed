"""The figures of a simulated or replayed day, per queue, defined so that they add up.

Every contact that enters a queue leaves it in exactly one way, so per queue:

    entered = answered + abandoned + moved on + still waiting

- entered: contacts that joined the queue (new work, or escalated, overflowed or
  transferred into it);
- answered: accepted by an agent from this queue;
- abandoned: the customer left (hung up, closed the chat) before an answer;
- moved on: escalated, overflowed or transferred to another queue before an
  answer (counted again there as entered);
- waiting: still in the queue when the day ended.

Offers are counted apart: a contact may be offered several times (an agent lets the
offer time out or rejects it, and it is offered to the next), so offers and
missed count offers, not contacts; an offer ends accepted, missed, or abandoned while
it rings. SL% is the share of answered contacts
answered within the queue's target; ASA their mean wait; abandon% abandoned
over entered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cc_common.events import TaskState
from router_service.domain.engine import TenantRouter
from router_service.domain.model import Change

OUTCOMES = ("answered", "abandoned", "moved_on")


@dataclass
class QueueDay:
    entered: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    offers: int = 0
    missed: int = 0
    answered_in_target: int = 0
    total_wait: float = 0.0

    @property
    def waiting(self) -> int:
        return self.entered - sum(self.outcomes[o] for o in OUTCOMES)


class DayFigures:
    """Folds the router's changes into per-queue figures."""

    def __init__(self) -> None:
        self.queues: dict[str, QueueDay] = {}
        self._visit: dict[str, str] = {}
        """task id -> the queue it is in and has not left yet (no outcome there)."""
        self._placed: dict[str, str] = {}
        """task id -> the queue it was last seen in."""

    def add(self, change: Change, router: TenantRouter) -> None:
        task, queue = change.task_id, change.queue
        if self._placed.get(task) != queue:
            pending = self._visit.pop(task, None)
            if pending is not None:
                self._queue(pending).outcomes["moved_on"] += 1
            self._queue(queue).entered += 1
            self._visit[task] = queue
            self._placed[task] = queue
        day = self._queue(queue)
        if change.state is TaskState.OFFERED:
            day.offers += 1
        elif change.state in (TaskState.TIMED_OUT, TaskState.REJECTED):
            day.missed += 1
        elif change.state is TaskState.ACCEPTED and self._visit.pop(task, None) is not None:
            day.outcomes["answered"] += 1
            wait = change.wait_seconds or 0.0
            day.total_wait += wait
            config = router.queues[queue].config if queue in router.queues else None
            if config is not None and config.sla_seconds is not None:
                day.answered_in_target += wait <= config.sla_seconds
        elif change.state is TaskState.ABANDONED and self._visit.pop(task, None) is not None:
            day.outcomes["abandoned"] += 1

    def _queue(self, name: str) -> QueueDay:
        return self.queues.setdefault(name, QueueDay())


def report(figures: DayFigures, router: TenantRouter) -> str:
    """The table, with the definitions under it."""
    rows = [
        "queue        entered answered abandoned moved-on waiting  offers missed"
        "   SL%  target s   ASA s  abandon%"
    ]
    for name in sorted(set(figures.queues) | set(router.queues)):
        day = figures.queues.get(name, QueueDay())
        answered = day.outcomes["answered"]
        config = router.queues[name].config if name in router.queues else None
        target = config.sla_seconds if config is not None else None
        level = (
            f"{100 * day.answered_in_target / answered:5.1f}" if answered and target else "    -"
        )
        speed = f"{day.total_wait / answered:7.1f}" if answered else "      -"
        abandon = 100 * day.outcomes["abandoned"] / day.entered if day.entered else 0.0
        rows.append(
            f"{name:<12} {day.entered:>7} {answered:>8} {day.outcomes['abandoned']:>9} "
            f"{day.outcomes['moved_on']:>8} {day.waiting:>7} {day.offers:>7} {day.missed:>6} "
            f"{level} {target if target is not None else '-':>9} {speed} {abandon:>9.1f}"
        )
    legend = (__doc__ or "").split("\n\n", 1)[1].strip()
    return "\n".join(rows) + "\n\n" + legend
