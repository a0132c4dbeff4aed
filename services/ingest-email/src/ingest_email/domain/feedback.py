"""Delivery feedback on mail we sent: Amazon SES bounce, complaint and delivery
notifications (through SNS), made into status updates of the reply they concern (pure).

SES names the message by the headers it was sent with (``commonHeaders.messageId``,
our own Message-ID) and by its own id. The reply on the timeline is found by our
Message-ID, so a bounce becomes "failed" on that reply with the SMTP status and the
remote server's diagnostic, never a new message or a dead letter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cc_common.events import (
    INTERACTION_RECEIVED,
    Channel,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    Party,
    PartyRole,
    RoutingHints,
    provider_event_id,
)
from cc_common.shapes import malformed_as

SOURCE = "ingest-email"
_KINDS = {"bounce": "failed", "complaint": "complained", "delivery": "delivered"}


class InvalidFeedback(ValueError):
    """A bounce, complaint or delivery notification we cannot read."""


@dataclass(frozen=True, slots=True)
class DeliveryFeedback:
    message_id: str
    status: str
    recipients: tuple[str, ...]
    feedback_id: str
    at: datetime | None = None
    error_code: str | None = None
    error_reason: str | None = None


@malformed_as(InvalidFeedback)
def ses_feedback(message: str) -> DeliveryFeedback | None:
    """The feedback an SES notification carries, or None when it is not feedback
    (an inbound mail notification, or something else entirely)."""
    try:
        notification: Any = json.loads(message)
    except ValueError:
        return None
    if not isinstance(notification, dict):
        return None
    kind = str(notification.get("notificationType") or notification.get("eventType") or "")
    status = _KINDS.get(kind.lower())
    mail = notification.get("mail")
    if status is None or not isinstance(mail, dict):
        return None
    message_id = _our_message_id(mail)
    if message_id is None:
        return None
    detail = notification.get(kind[:1].lower() + kind[1:])
    detail = detail if isinstance(detail, dict) else {}
    recipients, code, reason = _recipients_code_and_reason(kind.lower(), detail)
    return DeliveryFeedback(
        message_id=message_id,
        status=status,
        recipients=recipients,
        feedback_id=str(detail.get("feedbackId") or f"{kind}:{message_id}"),
        at=_time(detail.get("timestamp")),
        error_code=code,
        error_reason=reason,
    )


def feedback_event(
    tenant_id: str,
    feedback: DeliveryFeedback,
    *,
    conversation_key: str,
    received_at: datetime,
    provider: str = "ses",
) -> Envelope[Interaction]:
    """The status update of our reply; the same feedback id is the same event."""
    errors = {"error_code": feedback.error_code, "error_reason": feedback.error_reason}
    customer = feedback.recipients[0] if feedback.recipients else None
    interaction = Interaction(
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        kind=InteractionKind.STATUS,
        provider=provider,
        provider_message_id=feedback.feedback_id,
        provider_ids={
            "status_of": feedback.message_id,
            "delivery": feedback.status,
            **{k: v[:500] for k, v in errors.items() if v},
        },
        conversation_key=conversation_key,
        parties=(
            Party(
                role=PartyRole.CUSTOMER,
                identities=(Identity(kind=IdentityKind.EMAIL, value=customer),),
            ),
        )
        if customer
        else (),
        routing_hints=RoutingHints(needs_human=False),
    )
    return Envelope[Interaction](
        id=provider_event_id(tenant_id, provider, feedback.feedback_id),
        type=INTERACTION_RECEIVED,
        tenant_id=tenant_id,
        occurred_at=feedback.at or received_at,
        source=SOURCE,
        correlation_id=conversation_key,
        data=interaction,
    )


def _our_message_id(mail: dict[str, Any]) -> str | None:
    common = mail.get("commonHeaders")
    found = common.get("messageId") if isinstance(common, dict) else None
    if not found:
        for header in mail.get("headers") or []:
            if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id":
                found = header.get("value")
                break
    if not isinstance(found, str) or not found.strip("<> "):
        return None
    return f"<{found.strip().strip('<>')}>"


def _recipients_code_and_reason(
    kind: str, detail: dict[str, Any]
) -> tuple[tuple[str, ...], str | None, str | None]:
    """(recipients, error code, reason) of a bounce, complaint or delivery."""
    if kind == "bounce":
        people = [r for r in detail.get("bouncedRecipients") or [] if isinstance(r, dict)]
        first = people[0] if people else {}
        kind_text = " / ".join(
            str(p) for p in (detail.get("bounceType"), detail.get("bounceSubType")) if p
        )
        reason = "; ".join(str(p) for p in (kind_text, first.get("diagnosticCode")) if p)
        status = first.get("status")
        return (
            _addresses(people),
            status if isinstance(status, str) and status else None,
            (reason or None),
        )
    if kind == "complaint":
        people = [r for r in detail.get("complainedRecipients") or [] if isinstance(r, dict)]
        feedback_type = detail.get("complaintFeedbackType")
        reason = f"complaint: {feedback_type}" if feedback_type else "complaint"
        return _addresses(people), None, reason
    recipients = tuple(str(r).lower() for r in detail.get("recipients") or [] if isinstance(r, str))
    return recipients, None, None


def _addresses(people: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(
        str(p["emailAddress"]).lower() for p in people if isinstance(p.get("emailAddress"), str)
    )


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
