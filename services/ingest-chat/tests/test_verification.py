"""One-time codes for a typed email (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cc_common.events import Channel, IdentityKind
from ingest_chat.domain.verification import (
    CODE_TTL,
    MAX_ATTEMPTS,
    Challenge,
    Outcome,
    code_digest,
    code_request,
    judge,
    new_code,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SECRET = "a-visitor-token-secret-of-32-bytes-or-more"
EMAIL = "hanako@example.jp"


def challenge(code: str, *, attempts: int = 1, email: str = EMAIL) -> Challenge:
    return Challenge(
        address=email,
        digest=code_digest(SECRET, "c1", email, code),
        expires_at=NOW + CODE_TTL,
        attempts=attempts,
    )


def test_codes_are_six_digits_and_not_repeated() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190


def test_the_digest_binds_the_code_to_its_conversation_address_and_secret() -> None:
    digest = code_digest(SECRET, "c1", EMAIL, "123456")
    assert digest != code_digest(SECRET, "c2", EMAIL, "123456")
    assert digest != code_digest(SECRET, "c1", "other@example.jp", "123456")
    assert digest != code_digest("another-secret", "c1", EMAIL, "123456")
    assert "123456" not in digest


def test_a_guess_is_judged_right_wrong_expired_or_locked() -> None:
    right = code_digest(SECRET, "c1", EMAIL, "123456")
    wrong = code_digest(SECRET, "c1", EMAIL, "654321")
    assert judge(challenge("123456"), right, EMAIL, NOW) is Outcome.VERIFIED
    assert judge(challenge("123456"), wrong, EMAIL, NOW) is Outcome.WRONG
    assert judge(challenge("123456"), right, EMAIL, NOW + CODE_TTL) is Outcome.EXPIRED
    # The last allowed guess still counts; the one after is refused even when right.
    assert judge(challenge("123456", attempts=MAX_ATTEMPTS), right, EMAIL, NOW) is Outcome.VERIFIED
    locked = challenge("123456", attempts=MAX_ATTEMPTS + 1)
    assert judge(locked, right, EMAIL, NOW) is Outcome.LOCKED
    assert judge(None, right, EMAIL, NOW) is Outcome.NONE
    # A code sent to another address proves nothing about this one.
    assert judge(challenge("123456", email="x@example.jp"), right, EMAIL, NOW) is Outcome.NONE


def test_the_request_names_the_address_and_carries_the_code_with_its_expiry() -> None:
    event = code_request("acme", "c1", "email", EMAIL, "123456", now=NOW)
    assert event.data.channel is Channel.EMAIL
    assert event.data.recipient.value == EMAIL
    assert event.data.code == "123456"
    assert event.data.expires_at - NOW == CODE_TTL
    assert "123456" not in repr(event.data)  # kept out of logs that print the model
    assert code_request("acme", "c1", "email", EMAIL, "123456", now=NOW).id != event.id
    assert timedelta(0) < CODE_TTL <= timedelta(minutes=15)
    texted = code_request("acme", "c1", "phone", "+819012345678", "123456", now=NOW)
    assert texted.data.channel is Channel.SMS
    assert texted.data.recipient.kind is IdentityKind.PHONE
