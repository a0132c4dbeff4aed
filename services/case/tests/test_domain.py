"""Identity keys, phone numbers, merge decisions and timeline cursors (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from case_service.domain.errors import NotFound
from case_service.domain.identity import claimed_keys, keys_in_priority, parse_identity_query
from case_service.domain.merging import (
    Conflict,
    MergeAction,
    MergeRefused,
    check_customer_merge,
    decide,
    explain,
    proposal_id,
)
from case_service.domain.phones import canonical_phone
from case_service.domain.search import QueryTooShort, normalise, query_grams, searchable
from case_service.domain.timeline import (
    InvalidCursor,
    PageCursor,
    decode_cursor,
    encode_cursor,
)
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


def test_typed_identities_find_no_customer_and_are_kept_apart_as_claims() -> None:
    identities = [
        Identity(kind=IdentityKind.WEBCHAT_VISITOR_ID, value="v1", verified=True),
        Identity(kind=IdentityKind.EMAIL, value="Hanako@Example.jp", claimed=True),
        Identity(kind=IdentityKind.PHONE, value="+819012345678", claimed=True),
    ]
    assert keys_in_priority("acme", identities) == ["acme|webchat_visitor_id|v1"]
    assert claimed_keys("acme", identities) == [
        "acme|email|hanako@example.jp",
        "acme|phone|+819012345678",
    ]
    # The same identity also proven on the contact is no claim.
    proven = [*identities, Identity(kind=IdentityKind.EMAIL, value="hanako@example.jp")]
    assert claimed_keys("acme", proven) == ["acme|phone|+819012345678"]


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
    assert decode_cursor(encode_cursor((when, 3, "e-1"))) == PageCursor((when, 3, "e-1"))
    hinted = decode_cursor(encode_cursor((when, 3, "e-1"), window_ms=250))
    assert hinted == PageCursor((when, 3, "e-1"), 250)
    with pytest.raises(InvalidCursor):
        decode_cursor("not-a-cursor")
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor((when, 3, "e-1"), window_ms=0))


@pytest.mark.parametrize(
    ("raw", "region", "key"),
    [
        # Brazil: with and without the ninth digit are one mobile line.
        ("+55 11 98765-4321", None, "+5511987654321"),
        ("+55 11 8765-4321", None, "+5511987654321"),
        ("551187654321", None, "+5511987654321"),
        ("+55 11 3456-7890", None, "+551134567890"),  # a landline gains nothing
        # Argentina: the international 9 and the domestic 15 name the same line.
        ("+54 9 11 1234-5678", None, "+541112345678"),
        ("5491112345678", None, "+541112345678"),
        ("011 15 1234-5678", "AR", "+541112345678"),
        ("+54 11 1234-5678", None, "+541112345678"),
        # Japan: national format needs the tenant's region.
        ("090-1234-5678", "JP", "+819012345678"),
        ("+81 90 1234 5678", None, "+819012345678"),
        ("not a number", None, None),
        ("090-1234-5678", None, None),
    ],
)
def test_phone_numbers_have_one_key_per_line(raw: str, region: str | None, key: str | None) -> None:
    assert canonical_phone(raw, region) == key


def test_phone_and_whatsapp_identities_are_keyed_canonically() -> None:
    wa = Identity(kind=IdentityKind.WHATSAPP_ID, value="551187654321", verified=True)
    phone = Identity(kind=IdentityKind.PHONE, value="090-1234-5678")
    assert keys_in_priority("t", [wa, phone], "JP") == [
        "t|whatsapp_id|5511987654321",
        "t|phone|+819012345678",
    ]
    assert parse_identity_query("phone:+55 11 8765-4321") == (IdentityKind.PHONE, "+5511987654321")


def test_only_verified_identities_merge_on_their_own() -> None:
    conflict = Conflict("other", ("t|email|a@b.c",))
    ours = ("t|line_user_id|U1",)
    verified = frozenset({"t|email|a@b.c", "t|line_user_id|U1"})
    assert decide(conflict, ours, verified_keys=verified, auto=True) is MergeAction.MERGE
    assert decide(conflict, ours, verified_keys=frozenset(), auto=True) is MergeAction.PROPOSE
    assert decide(conflict, ours, verified_keys=verified, auto=False) is MergeAction.PROPOSE
    # The contact is tied to this customer only by a typed claim: propose.
    claim_only = frozenset({"t|email|a@b.c"})
    assert decide(conflict, ours, verified_keys=claim_only, auto=True) is MergeAction.PROPOSE
    reason = explain(conflict, ours)
    assert reason == (
        "one contact carried line_user_id:U1 (this customer) and email:a@b.c (the other customer)"
    )
    assert proposal_id("t", "a", "b") == proposal_id("t", "b", "a")


def test_bigrams_index_japanese_without_word_boundaries() -> None:
    fields = searchable(["ご注文の商品が まだ届きません"])
    assert fields["search_text"] == "ご注文の商品が まだ届きません"
    assert "商品" in fields["grams"]
    assert "が " not in fields["grams"]  # pairs stay within a run of characters
    text, grams = query_grams("届き")
    assert (text, grams) == ("届き", ["届き"])


def test_queries_are_normalised_like_documents() -> None:
    assert normalise("ＡＢＣ  ｶﾀｶﾅ") == "abc カタカナ"  # noqa: RUF001 (full width on purpose)
    assert query_grams("Refund")[1] == ["re", "ef", "fu", "un", "nd"]
    with pytest.raises(QueryTooShort):
        query_grams("a")


def test_a_customer_merge_needs_two_live_customers_of_the_tenant() -> None:
    check_customer_merge("a", "b", {"a": None, "b": None})
    with pytest.raises(MergeRefused, match="itself"):
        check_customer_merge("a", "a", {"a": None})
    with pytest.raises(NotFound, match="no customer b"):
        check_customer_merge("a", "b", {"a": None})
    with pytest.raises(MergeRefused, match="merged into c"):
        check_customer_merge("a", "b", {"a": "c", "b": None})
