"""Webhook signatures, retry schedule, event patterns and URL checks (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from case_service.domain.webhook_targets import UnsafeUrl, check_url
from case_service.domain.webhooks import (
    next_attempt,
    signature_header,
    verify,
    wanted,
)

BODY = b'{"type":"case.changed"}'


def test_a_receiver_verifies_with_either_secret_during_a_rotation() -> None:
    header = signature_header(["new-secret", "old-secret"], 1_700_000_000, BODY)
    assert header.startswith("t=1700000000,v1=")
    assert header.count("v1=") == 2
    assert verify(header, "new-secret", BODY, now=1_700_000_010)
    assert verify(header, "old-secret", BODY, now=1_700_000_010)
    assert not verify(header, "other", BODY, now=1_700_000_010)
    assert not verify(header, "new-secret", BODY + b" ", now=1_700_000_010)  # tampered
    assert not verify(header, "new-secret", BODY, now=1_700_000_000 + 301)  # replayed late


def test_retries_double_up_to_an_hour_and_stop_after_a_day() -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    assert next_attempt(start, 1, start) == start + timedelta(seconds=10)
    assert next_attempt(start, 3, start) == start + timedelta(seconds=40)
    later = start + timedelta(hours=5)
    assert next_attempt(start, 20, later) == later + timedelta(hours=1)
    assert next_attempt(start, 20, start + timedelta(hours=23, minutes=30)) is None


def test_patterns_name_event_types() -> None:
    assert wanted(["task.*"], "task.offered")
    assert wanted(["*"], "case.changed")
    assert not wanted(["case.sla_breached"], "case.changed")


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/cc",
        "https://user:pw@hooks.example.com/cc",
        "https://127.0.0.1/cc",
        "https://10.1.2.3/cc",
        "https://[::1]/cc",
        "https://169.254.169.254/latest/meta-data",
        "ftp://hooks.example.com",
    ],
)
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_insecure=False)


def test_public_https_urls_are_accepted_and_local_ones_when_allowed() -> None:
    check_url("https://hooks.example.com/cc", allow_insecure=False)
    check_url("https://8.8.8.8/cc", allow_insecure=False)
    check_url("http://127.0.0.1:9000/cc", allow_insecure=True)
