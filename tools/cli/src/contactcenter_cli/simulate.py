"""Replay a recorded event stream, or simulate a day, through the pure router core.

    contactcenter simulate day --agents 12 --hours 8 --write-stream .data/day.jsonl
    contactcenter simulate replay .data/day.jsonl

``day`` generates arrivals (Poisson per channel), customers who abandon when they
wait past their patience, and agents who accept offers and handle work for a random
time; it prints, per queue, what entered and how each contact left (answered,
abandoned, moved on, still waiting: they add up), offers, service level, average
speed of answer and abandonment, with their definitions (``day_report``).
Every input it fed the router can be written as a stream of envelopes; ``replay``
feeds such a stream (or one exported from Kafka) and prints the same figures, so a
day replays decision for decision.
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cc_common.events import (
    AGENT_CONFIGURED,
    AGENT_PRESENCE_CHANGED,
    AGENT_TASK_ACTED,
    INTERACTION_RECEIVED,
    AgentConfigured,
    AgentPresenceChanged,
    AgentTaskActed,
    Channel,
    Content,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    Party,
    PartyRole,
    Presence,
    RoutingHints,
    TaskAction,
    TaskState,
    decode_event,
    encode_event,
)
from cc_common.logging import configure_logging
from contactcenter_cli.day_report import DayFigures, report
from router_service.consumers.worker import apply_event
from router_service.domain.engine import TenantRouter

TENANT = "sim"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp()
PROFILES = {
    # channel: (arrivals per hour, mean handle seconds, mean patience seconds or None)
    Channel.VOICE: (120.0, 240.0, 90.0),
    Channel.WEBCHAT: (60.0, 480.0, 300.0),
    Channel.EMAIL: (40.0, 300.0, None),
}
ACCEPT_DELAY = 4.0


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    kind: str = field(compare=False)
    payload: Any = field(compare=False)


class Day:
    """A discrete-event simulation: the router core plus simulated people."""

    def __init__(self, *, agents: int, hours: float, load: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.router = TenantRouter(TENANT)
        self.figures = DayFigures()
        self.end = START + hours * 3600
        self.stream: list[Envelope[Any]] = []
        self.events: list[_Due] = []
        self._seq = 0
        self._conversations: dict[str, str] = {}
        for n in range(agents):
            self._feed(AGENT_CONFIGURED, AgentConfigured(agent_id=f"agent-{n:02d}"), START)
            self._feed(
                AGENT_PRESENCE_CHANGED,
                AgentPresenceChanged(agent_id=f"agent-{n:02d}", presence=Presence.AVAILABLE),
                START,
            )
        for channel, (per_hour, _, _) in PROFILES.items():
            at = START
            while True:
                at += self.rng.expovariate(per_hour * load / 3600)
                if at >= self.end:
                    break
                self._at(at, "arrive", channel)

    def run(self) -> TenantRouter:
        """Run until every scheduled event happened; returns the router."""
        while self.events:
            due = heapq.heappop(self.events)
            self.router.tick(due.at)
            self._react(due.at)
            if due.kind == "arrive":
                self._arrive(due.payload, due.at)
            elif due.kind == "leave":
                self._feed(INTERACTION_RECEIVED, due.payload, due.at)
            else:
                task_id, agent_id, action = due.payload
                data = AgentTaskActed(agent_id=agent_id, task_id=uuid.UUID(task_id), action=action)
                self._feed(AGENT_TASK_ACTED, data, due.at)
            self._react(due.at)
        return self.router

    def _arrive(self, channel: Channel, at: float) -> None:
        customer = f"c{self._seq}"
        interaction = Interaction(
            channel=channel,
            direction=Direction.INBOUND,
            kind=InteractionKind.CALL if channel is Channel.VOICE else InteractionKind.MESSAGE,
            provider="sim",
            conversation_key=f"{channel.value}:{customer}",
            parties=(
                Party(
                    role=PartyRole.CUSTOMER,
                    identities=(Identity(kind=IdentityKind.CRM_ID, value=customer),),
                ),
            ),
            content=Content(text="help"),
        )
        self._feed(INTERACTION_RECEIVED, interaction, at)
        patience = PROFILES[channel][2]
        if patience is not None:
            left = interaction.model_copy(
                update={"routing_hints": RoutingHints(needs_human=False, cancels_work=True)}
            )
            self._at(at + self.rng.expovariate(1 / patience), "leave", left)

    def _react(self, at: float) -> None:
        """Simulated agents: accept offers after a moment, finish work after a while."""
        for change in self.router.drain():
            self.figures.add(change, self.router)
            auto = self.router.queues[change.queue].config.offer_timeout_seconds is None
            if change.state is TaskState.OFFERED and change.agent_id and not auto:
                accept = (change.task_id, change.agent_id, TaskAction.ACCEPT)
                self._at(at + ACCEPT_DELAY, "act", accept)
            elif change.state is TaskState.ACCEPTED and change.agent_id:
                handle = self.rng.expovariate(1 / PROFILES.get(change.channel, (0, 300, 0))[1])
                complete = (change.task_id, change.agent_id, TaskAction.COMPLETE)
                self._at(at + handle, "act", complete)

    def _feed(self, kind: str, data: Any, at: float) -> None:
        self._seq += 1
        event = Envelope[Any](
            id=uuid.UUID(int=self._seq),
            type=kind,
            tenant_id=TENANT,
            occurred_at=datetime.fromtimestamp(at, UTC),
            recorded_at=datetime.fromtimestamp(at, UTC),
            source="simulation",
            data=data,
        )
        self.stream.append(event)
        apply_event(self.router, event, at)

    def _at(self, at: float, kind: str, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self.events, _Due(at, self._seq, kind, payload))


def replay(lines: list[bytes]) -> tuple[TenantRouter, DayFigures]:
    """Feed a recorded stream (one envelope per line), timers firing between events."""
    router: TenantRouter | None = None
    figures = DayFigures()
    for raw in lines:
        event = decode_event(raw)
        router = router or TenantRouter(event.tenant_id)
        now = event.recorded_at.timestamp()
        router.tick(now)
        apply_event(router, event, now)
        for change in router.drain():
            figures.add(change, router)
    if router is None:
        raise ValueError("the stream is empty")
    return router, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="contactcenter simulate",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    day = sub.add_parser("day", help="simulate a day of traffic with a given staffing")
    day.add_argument("--agents", type=int, default=12)
    day.add_argument("--hours", type=float, default=8)
    day.add_argument("--load", type=float, default=1.0, help="multiplies every arrival rate")
    day.add_argument("--seed", type=int, default=1)
    day.add_argument("--write-stream", type=Path, help="write the fed events as JSON lines")
    again = sub.add_parser("replay", help="replay a stream of envelopes (JSON lines)")
    again.add_argument("stream", type=Path)
    args = parser.parse_args(argv)
    configure_logging(service="simulate", level="ERROR")
    if args.command == "day":
        simulation = Day(agents=args.agents, hours=args.hours, load=args.load, seed=args.seed)
        router, figures = simulation.run(), simulation.figures
        if args.write_stream:
            args.write_stream.write_bytes(b"\n".join(encode_event(e) for e in simulation.stream))
    else:
        lines = [line for line in args.stream.read_bytes().splitlines() if line.strip()]
        router, figures = replay(lines)
    print(report(figures, router))
    return 0


if __name__ == "__main__":
    sys.exit(main())
