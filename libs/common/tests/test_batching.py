"""Pure helpers of the consumer runner."""

from __future__ import annotations

from cc_common.kafka.batching import backoff_seconds, group_in_order, next_fetch_wait, next_offsets
from cc_common.kafka.dead_letters import (
    Failure,
    dead_letter_headers,
    header_text,
    replay_headers,
)


def test_groups_keep_per_key_order_and_first_seen_group_order() -> None:
    items = [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("b", 2), ("a", 3)]
    groups = group_in_order(items, key=lambda i: i[0])
    assert groups == [
        [("a", 1), ("a", 2), ("a", 3)],
        [("b", 1), ("b", 2)],
        [("c", 1)],
    ]


def test_backoff_doubles_and_caps() -> None:
    delays = [backoff_seconds(n, base=0.1, cap=1.0) for n in range(1, 7)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_next_offsets_commit_one_past_the_highest_per_partition() -> None:
    assert next_offsets([("p0", 5), ("p1", 2), ("p0", 7), ("p0", 6)]) == {"p0": 8, "p1": 3}


def test_dead_letter_headers_keep_originals_and_replace_an_earlier_failure() -> None:
    failure = Failure("ValueError", "boom", "cc.x.v1", 3, 42, "grp", 5)
    once = dead_letter_headers([("id", b"e1")], failure)
    twice = dead_letter_headers(once, Failure("KeyError", "again", "cc.x.v1", 3, 43, "grp", 1))
    assert header_text(twice, "id") == "e1"
    assert header_text(twice, "x-error-type") == "KeyError"
    assert header_text(twice, "x-original-offset") == "43"
    assert [k for k, _ in twice].count("x-error-type") == 1


def test_replay_headers_drop_the_error_and_mark_the_replay() -> None:
    failure = Failure("ValueError", "x" * 5000, "cc.x.v1", 0, 1, "grp", 1)
    headers = dead_letter_headers([("id", b"e1")], failure)
    assert len(header_text(headers, "x-error-message") or "") == 2000
    replayed = replay_headers(headers)
    assert header_text(replayed, "x-error-type") is None
    assert header_text(replayed, "id") == "e1"
    assert header_text(replayed, "x-replayed-at") is not None


def test_fetches_wait_short_while_events_flow_and_lengthen_while_idle() -> None:
    waits = [10]
    for got in (False, False, False, False, False, False, True, False):
        waits.append(next_fetch_wait(waits[-1], got_records=got, busy_ms=10, idle_ms=250))
    assert waits == [10, 20, 40, 80, 160, 250, 250, 10, 20]
    # A broker that wakes waiting fetches may be given a long busy wait: never shortened.
    assert next_fetch_wait(500, got_records=False, busy_ms=500, idle_ms=250) == 500
