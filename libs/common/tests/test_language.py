"""The language of a customer's words: the text, the provider's hint, and which won."""

from __future__ import annotations

import pytest

from cc_common.events import Content, LanguageSource
from cc_common.language import _letters, decide, detect, primary_tag, with_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("注文した商品がまだ届きません", "ja"),
        ("まだ届きません", "ja"),
        ("My parcel has not arrived yet, could you check the tracking?", "en"),
        ("Mi pedido no ha llegado todavía, ¿pueden revisarlo?", "es"),
        ("我的订单还没有到，请帮我查一下", "zh"),  # noqa: RUF001 - a Chinese comma
        ("주문한 상품이 아직 도착하지 않았습니다", "ko"),
        ("Minha encomenda ainda não chegou, podem verificar?", "pt"),
    ],
)
def test_the_text_decides_when_the_detector_is_sure(text: str, language: str) -> None:
    facts = decide(text, None)
    assert facts is not None
    assert (facts.detected, facts.chosen_from) == (language, LanguageSource.TEXT)


def test_the_text_beats_the_app_locale_and_both_are_recorded() -> None:
    content = with_language(Content(text="注文した商品がまだ届きません"), "en-US")
    assert content is not None
    assert content.language == "ja"
    assert content.language_facts is not None
    assert (content.language_facts.hinted, content.language_facts.chosen_from) == (
        "en-US",
        LanguageSource.TEXT,
    )


@pytest.mark.parametrize("text", ["ok", "/start", "👍", "12345 https://example.com/x"])
def test_too_little_text_leaves_it_to_the_providers_hint(text: str) -> None:
    content = with_language(Content(text=text), "pt-br")
    assert content is not None
    assert content.language == "pt"
    assert content.language_facts is not None
    assert content.language_facts.chosen_from is LanguageSource.PROVIDER


def test_no_witness_says_nothing() -> None:
    assert decide("ok", None) is None
    assert with_language(Content(text="ok"), None) == Content(text="ok")
    assert primary_tag("not a tag!") is None
    assert primary_tag("ja-JP") == "ja"


def test_detection_reads_words_not_links_or_addresses_and_long_text_only_in_part() -> None:
    assert _letters("Order #123: see https://x.com/a or ana@example.com — 注文です!") == (
        "Order see or 注文です"
    )
    # 10,500 characters without a space (the case that made the old pattern backtrack
    # quadratically); the cost is measured by contactcenter bench-chat, not here.
    assert detect("注文した商品がまだ届きません。" * 700) == ("ja", 1.0)
