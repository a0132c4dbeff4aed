"""Identity keys and timeline cursors (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from case_service.domain.identity import keys_in_priority, parse_identity_query
from case_service.domain.timeline import InvalidCursor, decode_cursor, encode_cursor
from cc_common.events import Identity, IdentityKind


def test_verified_identities_come_first_and_emails_are_case_folded() -> None:
    keys = keys_in_priority(
        "acme",
        [
            Identity(kind=IdentityKind.PHONE, value="+819012345678"),
            Identity(kind=IdentityKind.EMAIL, value=" Ana@Example.COM "),
            Identity(kind=IdentityKind.WEBCHAT_VISITOR_ID, value="v1", verified=True),
            Identity(kind=IdentityKind.EMAIL, value="ana@example.com"),
        ],
    )
    assert keys == [
        "acme|webchat_visitor_id|v1",
        "acme|email|ana@example.com",
        "acme|phone|+819012345678",
    ]


def test_identity_keys_are_scoped_to_the_tenant() -> None:
    identity = [Identity(kind=IdentityKind.EMAIL, value="a@b.c")]
    assert keys_in_priority("one", identity) != keys_in_priority("two", identity)


def test_identity_query_parsing() -> None:
    assert parse_identity_query("email:Ana@Example.com") == (IdentityKind.EMAIL, "ana@example.com")
    assert parse_identity_query("line_user_id:U123") == (IdentityKind.LINE_USER_ID, "U123")
    with pytest.raises(ValueError, match="kind:value"):
        parse_identity_query("ana@example.com")
    with pytest.raises(ValueError, match="fax"):
        parse_identity_query("fax:123")


def test_cursor_round_trip_and_tampering() -> None:
    when = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert decode_cursor(encode_cursor((when, 3, "e-1"))) == (when, 3, "e-1")
    with pytest.raises(InvalidCursor):
        decode_cursor("not-a-cursor")
