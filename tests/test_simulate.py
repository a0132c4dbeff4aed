"""A simulated day replays decision for decision, its figures add up, and staffing moves
service level."""

from __future__ import annotations

from cc_common.events import encode_event
from contactcenter_cli.day_report import report
from contactcenter_cli.simulate import Day, replay


def voice_service_level(agents: int) -> float:
    router = Day(agents=agents, hours=1, load=1.0, seed=3).run()
    [voice] = [row for row in router.queue_stats(0) if row["queue"] == "voice"]
    return float(voice["service_level_percent"] or 0)


def test_a_recorded_day_replays_to_the_same_figures() -> None:
    day = Day(agents=12, hours=1, load=1.0, seed=5)
    simulated = day.run()
    replayed, figures = replay([encode_event(event) for event in day.stream])
    at = day.stream[-1].recorded_at.timestamp()
    assert replayed.queue_stats(at) == simulated.queue_stats(at)
    assert replayed.decisions == simulated.decisions > 100
    assert report(figures, replayed) == report(day.figures, simulated)


def test_each_contact_that_entered_a_queue_left_it_one_way_or_is_waiting() -> None:
    # Understaffed, with overflow from voice to callbacks-style escalation absent: calls
    # abandon, chats wait; every queue's outcomes add up to what entered it.
    day = Day(agents=6, hours=2, load=1.5, seed=7)
    router = day.run()
    voice = day.figures.queues["voice"]
    assert voice.entered > 200
    assert voice.outcomes["abandoned"] > 0
    assert voice.missed == 0  # simulated agents always accept
    for name, queue in day.figures.queues.items():
        outcomes = sum(queue.outcomes.values())
        assert queue.entered == outcomes + queue.waiting, name
        assert queue.waiting >= 0, name
        assert queue.offers >= queue.outcomes["answered"], name
    # The router's own counters agree where they count the same thing.
    stats = {row["queue"]: row for row in router.queue_stats(0)}
    assert stats["voice"]["answered"] == voice.outcomes["answered"]
    assert stats["voice"]["abandoned"] == voice.outcomes["abandoned"]
    text = report(day.figures, router)
    assert "entered = answered + abandoned + moved on + still waiting" in text


def test_more_agents_answer_more_calls_in_time() -> None:
    assert voice_service_level(8) < voice_service_level(14) < voice_service_level(20)
