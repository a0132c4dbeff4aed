"""Proving a typed email: a one-time code sent to it (pure).

A web-chat visitor's typed email is a claim (anyone can type anyone's address). To
turn it into a verified identity the visitor asks for a code, which is mailed to the
address; entering it proves the visitor reads that mailbox. Only a digest of the code
is stored, keyed by the conversation and the service's secret, so a database reader
cannot use a pending code. A code lives ``CODE_TTL`` and allows ``MAX_ATTEMPTS``
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


def code_digest(secret: str, conversation_id: str, email: str, code: str) -> str:
    """What is stored of a code: bound to the conversation and the address it went to."""
    message = f"{conversation_id}\x1f{email}\x1f{code}".encode()
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

    email: str
    digest: str
    expires_at: datetime
    attempts: int
    """Guesses made so far, this one included."""


def judge(challenge: Challenge | None, digest: str, email: str, now: datetime) -> Outcome:
    """The outcome of one guess (its attempt already counted)."""
    if challenge is None or challenge.email != email:
        return Outcome.NONE
    if challenge.attempts > MAX_ATTEMPTS:
        return Outcome.LOCKED
    if now >= challenge.expires_at:
        return Outcome.EXPIRED
    if hmac.compare_digest(challenge.digest, digest):
        return Outcome.VERIFIED
    return Outcome.WRONG


def code_request(
    tenant_id: str, conversation_id: str, email: str, code: str, *, now: datetime
) -> Envelope[VerificationRequested]:
    """The event asking the email channel to mail the code."""
    challenge_id = uuid.uuid4()
    return Envelope[VerificationRequested](
        id=challenge_id,
        type=VERIFICATION_REQUESTED,
        tenant_id=tenant_id,
        occurred_at=now,
        source=SOURCE,
        correlation_id=f"webchat:{conversation_id}",
        data=VerificationRequested(
            challenge_id=challenge_id,
            channel=Channel.EMAIL,
            recipient=Identity(kind=IdentityKind.EMAIL, value=email),
            code=code,
            expires_at=now + CODE_TTL,
        ),
    )


def send_keys(tenant_id: str, conversation_id: str, email: str) -> tuple[tuple[str, int], ...]:
    """The send budgets one code spends: (key, codes an hour)."""
    return (
        (f"conversation|{tenant_id}|{conversation_id}", MAX_SENDS),
        (f"address|{tenant_id}|{email}", MAX_SENDS_PER_ADDRESS),
    )
