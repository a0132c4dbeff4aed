"""Proving a typed email or phone: a one-time code sent to it (pure).

A web-chat visitor's typed email or phone is a claim (anyone can type anyone's). To
turn it into a verified identity the visitor asks for a code, which is mailed (or
texted) to it; entering it proves the visitor reads that mailbox (or phone). Only a
digest of the code is stored, keyed by the conversation and the service's secret, so
a database reader cannot use a pending code. A code lives ``CODE_TTL`` and allows ``MAX_ATTEMPTS``
guesses (a million codes, five guesses: one chance in 200,000); a conversation may
ask for ``MAX_SENDS`` codes an hour and an address receives ``MAX_SENDS_PER_ADDRESS``,
however many conversations ask: nobody can mail-bomb an address through us, and
guessing across conversations gets 25 tries an hour (one chance in 40,000).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cc_common.events import (
    VERIFICATION_REQUESTED,
    Channel,
    Envelope,
    Identity,
    IdentityKind,
    VerificationRequested,
)

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_SENDS = 3
MAX_SENDS_PER_ADDRESS = 5
SEND_WINDOW = timedelta(hours=1)
SOURCE = "ingest-chat"


def new_code() -> str:
    """Six digits from the operating system's random source."""
    return f"{secrets.randbelow(1_000_000):06d}"


def code_digest(secret: str, conversation_id: str, address: str, code: str) -> str:
    """What is stored of a code: bound to the conversation and the address it went to."""
    message = f"{conversation_id}\x1f{address}\x1f{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Outcome(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Challenge:
    """A code on its way to an address, as stored."""

    address: str
    digest: str
    expires_at: datetime
    attempts: int
    """Guesses made so far, this one included."""


def judge(challenge: Challenge | None, digest: str, address: str, now: datetime) -> Outcome:
    """The outcome of one guess (its attempt already counted)."""
    if challenge is None or challenge.address != address:
        return Outcome.NONE
    if challenge.attempts > MAX_ATTEMPTS:
        return Outcome.LOCKED
    if now >= challenge.expires_at:
        return Outcome.EXPIRED
    if hmac.compare_digest(challenge.digest, digest):
        return Outcome.VERIFIED
    return Outcome.WRONG


def code_request(
    tenant_id: str, conversation_id: str, kind: str, address: str, code: str, *, now: datetime
) -> Envelope[VerificationRequested]:
    """The event asking the channel to send the code: mail for an email, SMS for a phone."""
    challenge_id = uuid.uuid4()
    if kind == "email":
        channel, recipient = Channel.EMAIL, Identity(kind=IdentityKind.EMAIL, value=address)
    else:
        channel, recipient = Channel.SMS, Identity(kind=IdentityKind.PHONE, value=address)
    return Envelope[VerificationRequested](
        id=challenge_id,
        type=VERIFICATION_REQUESTED,
        tenant_id=tenant_id,
        occurred_at=now,
        source=SOURCE,
        correlation_id=f"webchat:{conversation_id}",
        data=VerificationRequested(
            challenge_id=challenge_id,
            channel=channel,
            recipient=recipient,
            code=code,
            expires_at=now + CODE_TTL,
        ),
    )


def code_text(code: str, minutes: int) -> str:
    """The words that carry a code (an SMS; the mail says the same at more length)."""
    return f"Your code is {code}. Enter it in the chat within {minutes} minutes."


def send_keys(tenant_id: str, conversation_id: str, address: str) -> tuple[tuple[str, int], ...]:
    """The send budgets one code spends: (key, codes an hour)."""
    return (
        (f"conversation|{tenant_id}|{conversation_id}", MAX_SENDS),
        (f"address|{tenant_id}|{address}", MAX_SENDS_PER_ADDRESS),
    )
