"""Charsets, quoting, forwards, noise and case tokens (pure)."""

from __future__ import annotations

import pytest

from ingest_email.domain.case_tokens import case_token, token_in, with_token
from ingest_email.domain.charsets import decode_text
from ingest_email.domain.forwards import is_forward
from ingest_email.domain.quoting import split_quoted


def test_iso_2022_jp_falls_back_to_cp50220_for_nec_rows() -> None:
    defects: list[str] = []
    raw = b"\x1b$B-!$3$s\x1b(B ok"  # ① こ ん in JIS rows 13 and 4
    assert decode_text(raw, "ISO-2022-JP", defects) == "①こん ok"
    assert defects == []


def test_mislabelled_utf8_is_read_as_utf8() -> None:
    defects: list[str] = []
    assert decode_text("café ①".encode(), "iso-8859-1", defects) == "café ①"


def test_undecodable_bytes_become_replacement_characters_and_a_defect() -> None:
    defects: list[str] = []
    text = decode_text(b"\x82\xa0\x85\x40", "shift_jis", defects)
    assert text.startswith("あ")
    assert defects == ["bytes not valid in charset 'shift_jis'"]


@pytest.mark.parametrize(
    ("text", "new"),
    [
        ("Fixed.\n\nOn Tue, 1 Dec 2026, Acme <s@acme.example> wrote:\n> old", "Fixed."),
        ("直りました。\n\n2026年11月23日(月) 10:00 Acme <s@acme.example>:\n> 古い", "直りました。"),
        ("Ok\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold", "Ok"),
        ("了解です\n\n差出人: サポート\n送信日時: 2026年11月23日\n件名: x\n\n古い", "了解です"),
        ("Danke\n\nAm 23.11.2026 um 10:00 schrieb Acme <s@acme.example>:\n> alt", "Danke"),
    ],
)
def test_quoted_history_is_split_off(text: str, new: str) -> None:
    split = split_quoted(text)
    assert split.new == new
    assert split.quoted is not None


def test_inline_answers_between_quotes_are_kept_whole() -> None:
    text = "> question one\nanswer one\n> question two\nanswer two"
    assert split_quoted(text).quoted is None


@pytest.mark.parametrize(
    ("subject", "forward"),
    [
        ("Fwd: invoice", True),
        ("FW: invoice", True),
        ("WG: Rechnung", True),
        ("転送: 請求書", True),
        ("Re: Fwd: invoice", False),
        ("Forward planning", False),
    ],
)
def test_forward_prefixes(subject: str, forward: bool) -> None:
    assert is_forward(subject, None) is forward


def test_forward_body_markers() -> None:
    assert is_forward("invoice", "see below\n\n---------- Forwarded message ---------\nFrom: x")
    assert is_forward("invoice", "Begin forwarded message:\n\nFrom: x")


def test_case_tokens_round_trip_and_appear_once() -> None:
    token = case_token("1a2b3c4d-0000-5000-8000-000000000000")
    assert token == "1A2B3C4D"
    subject = with_token("Re: Invoice", token)
    assert subject == "Re: Invoice [#C-1A2B3C4D]"
    assert with_token(subject, token) == subject
    assert token_in("Re: Re: Invoice [#c-1a2b3c4d]") == "1A2B3C4D"
    assert token_in("Invoice #1A2B3C4D") is None
