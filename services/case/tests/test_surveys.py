"""Reading a survey answer from the customer's reply (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from case_service.domain.surveys import SurveyRule, parse_score, question, still_open


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", 5),
        ("５", 5),  # noqa: RUF001 (full width on purpose)
        (" 4点 ", 4),
        ("★3", 3),
        ("2です", 2),
        ("1.", 1),
        ("csat:5", 5),
        ("4/5", 4),
    ],
)
def test_a_reply_that_is_only_a_score_is_an_answer(text: str, score: int) -> None:
    assert parse_score(text, "csat") == score


@pytest.mark.parametrize(
    "text", ["6", "0", "5 stars but the delivery was late", "注文番号5", "nps:5", "", "55"]
)
def test_anything_else_is_a_message(text: str) -> None:
    assert parse_score(text, "csat") is None


def test_nps_takes_zero_to_ten() -> None:
    assert parse_score("10", "nps") == 10
    assert parse_score("０", "nps") == 0  # noqa: RUF001 (full width on purpose)
    assert parse_score("nps:9", "nps") == 9
    assert parse_score("11", "nps") is None


def test_the_question_is_in_the_customer_s_language_or_the_tenant_s_words() -> None:
    assert question(SurveyRule(), "en-US").startswith("How did we do?")
    assert question(SurveyRule(), None).startswith("このたびのご対応")
    own = SurveyRule(questions=(("ja", "評価を1〜5でお願いします"),))
    assert question(own, "ja") == "評価を1〜5でお願いします"


def test_an_answer_counts_for_a_week() -> None:
    sent = datetime(2026, 12, 1, tzinfo=UTC)
    assert still_open(sent, sent + timedelta(days=7))
    assert not still_open(sent, sent + timedelta(days=7, seconds=1))
