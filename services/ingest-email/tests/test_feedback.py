"""SES bounce, complaint and delivery notifications from AWS's documented examples (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cc_common.events import InteractionKind
from ingest_email.domain.feedback import feedback_event, ses_feedback

CORPUS = Path(__file__).parents[3] / "tests" / "corpus" / "ses"


def notification(name: str) -> str:
    return (CORPUS / name).read_text()


@pytest.mark.parametrize(
    ("name", "message_id", "status", "code", "reason"),
    [
        (
            "bounce-with-dsn.json",
            "<reply-ses-bounce@acme.example>",
            "failed",
            "5.0.0",
            "Permanent / General; smtp; 550 user unknown",
        ),
        (
            "bounce-without-dsn.json",
            "<reply-ses-bounce2@acme.example>",
            "failed",
            None,
            "Permanent / General",
        ),
        (
            "complaint-with-feedback-report.json",
            "<reply-ses-complaint@acme.example>",
            "complained",
            None,
            "complaint: abuse",
        ),
        ("delivery.json", "<reply-ses-delivered@acme.example>", "delivered", None, None),
    ],
)
def test_feedback_names_our_message_and_keeps_the_providers_reason(
    name: str, message_id: str, status: str, code: str | None, reason: str | None
) -> None:
    feedback = ses_feedback(notification(name))
    assert feedback is not None
    assert (feedback.message_id, feedback.status) == (message_id, status)
    assert (feedback.error_code, feedback.error_reason) == (code, reason)
    assert feedback.recipients == ("recipient@example.com",)
    event = feedback_event(
        "acme", feedback, conversation_key="email:thread", received_at=datetime.now(UTC)
    )
    assert event.data.kind is InteractionKind.STATUS
    assert event.data.provider_ids["status_of"] == message_id
    assert not event.data.routing_hints.needs_human
    assert event.occurred_at == datetime(2016, 1, 27, 14, 59, 38, 237000, tzinfo=UTC)


def test_inbound_mail_notifications_and_junk_are_not_feedback() -> None:
    received = '{"notificationType": "Received", "mail": {}, "content": "From: a@b"}'
    assert ses_feedback(received) is None
    assert ses_feedback("not json") is None
    assert ses_feedback('{"notificationType": "Bounce"}') is None  # no mail: not ours to match
