"""Amazon SNS messages: the documented string to sign, and SES's inbound notification (pure)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cc_common.shapes import malformed_as

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
_HASHES = {"1": "sha1", "2": "sha256"}


class InvalidSnsMessage(ValueError):
    """Not a well-formed SNS message."""


@dataclass(frozen=True, slots=True)
class SnsMessage:
    fields: dict[str, str]

    @property
    def type(self) -> str:
        return self.fields["Type"]

    @property
    def topic_arn(self) -> str:
        return self.fields["TopicArn"]

    @property
    def certificate_url(self) -> str:
        return self.fields["SigningCertURL"]

    @property
    def signature(self) -> bytes:
        try:
            return base64.b64decode(self.fields["Signature"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidSnsMessage("the signature is not base64") from exc

    @property
    def hash_name(self) -> str:
        return _HASHES[self.fields["SignatureVersion"]]

    def string_to_sign(self) -> bytes:
        """Name/value lines of the signed fields, in the order AWS documents."""
        names = _NOTIFICATION_FIELDS if self.type == NOTIFICATION else _CONFIRMATION_FIELDS
        lines: list[str] = []
        for name in names:
            if name in self.fields:
                lines.extend((name, self.fields[name]))
        return ("\n".join(lines) + "\n").encode()


def parse_sns(body: bytes) -> SnsMessage:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSnsMessage("the body is not JSON") from exc
    if not isinstance(document, dict):
        raise InvalidSnsMessage("the body is not a JSON object")
    fields = {k: v for k, v in document.items() if isinstance(v, str)}
    required = ["Type", "MessageId", "TopicArn", "Timestamp", "Signature", "SigningCertURL"]
    required.append("SignatureVersion")
    missing = [name for name in required if name not in fields]
    if missing:
        raise InvalidSnsMessage(f"missing {', '.join(missing)}")
    if fields["SignatureVersion"] not in _HASHES:
        raise InvalidSnsMessage(f"unsupported SignatureVersion {fields['SignatureVersion']!r}")
    if fields["Type"] not in {NOTIFICATION, SUBSCRIPTION_CONFIRMATION, UNSUBSCRIBE_CONFIRMATION}:
        raise InvalidSnsMessage(f"unknown message type {fields['Type']!r}")
    return SnsMessage(fields)


def on_provider_host(url: str, *, host_pattern: str, scheme: str) -> bool:
    """True for URLs on the provider's own hosts (we fetch nothing from anywhere else)."""
    parts = urlsplit(url)
    return (
        parts.scheme == scheme
        and bool(parts.hostname)
        and re.fullmatch(host_pattern, parts.hostname or "") is not None
    )


def certificate_url_allowed(url: str, *, host_pattern: str, scheme: str) -> bool:
    """Only fetch signing certificates (``.pem``) from the provider's own hosts."""
    path = urlsplit(url).path
    return on_provider_host(url, host_pattern=host_pattern, scheme=scheme) and path.endswith(".pem")


@malformed_as(InvalidSnsMessage)
def ses_raw_email(message: str) -> tuple[bytes, list[str]]:
    """The raw email and its recipients from an SES receipt notification (action SNS)."""
    try:
        notification: Any = json.loads(message)
    except ValueError as exc:
        raise InvalidSnsMessage("the SES notification is not JSON") from exc
    if not isinstance(notification, dict) or "content" not in notification:
        raise InvalidSnsMessage("the SES notification carries no content (use the SNS action)")
    content = notification["content"]
    if not isinstance(content, str):
        raise InvalidSnsMessage("the SES content is not a string")
    receipt = notification.get("receipt") or {}
    action = receipt.get("action") or {}
    if str(action.get("encoding", "UTF8")).upper() == "BASE64":
        try:
            raw = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise InvalidSnsMessage("the SES content is not base64") from exc
    else:
        raw = content.encode("utf-8", "surrogateescape")
    mail = notification.get("mail") or {}
    recipients = receipt.get("recipients") or mail.get("destination") or []
    return raw, [r for r in recipients if isinstance(r, str)]
