"""A simulated day replays decision for decision, and staffing moves service level."""

from __future__ import annotations

from cc_common.events import encode_event
from router_service.simulate import Day, replay


def voice_service_level(agents: int) -> float:
    router = Day(agents=agents, hours=1, load=1.0, seed=3).run()
    [voice] = [row for row in router.queue_stats(0) if row["queue"] == "voice"]
    return float(voice["service_level_percent"] or 0)


def test_a_recorded_day_replays_to_the_same_figures() -> None:
    day = Day(agents=12, hours=1, load=1.0, seed=5)
    simulated = day.run()
    replayed = replay([encode_event(event) for event in day.stream])
    at = day.stream[-1].recorded_at.timestamp()
    assert replayed.queue_stats(at) == simulated.queue_stats(at)
    assert replayed.decisions == simulated.decisions > 100


def test_more_agents_answer_more_calls_in_time() -> None:
    assert voice_service_level(8) < voice_service_level(14) < voice_service_level(20)
