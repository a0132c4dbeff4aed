"""Macros' variables and case changes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from case_service.domain.macros import (
    MacroActions,
    MacroContext,
    UnknownVariable,
    case_number,
    check_text,
    macro_patch,
    render,
    variables_in,
    visible_to,
)
from case_service.domain.model import Case, Customer

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CASE = Case(
    id="3f2a9c1e-0000-4000-8000-000000000001",
    tenant_id="acme",
    customer_id="c1",
    channel="line",
    opened_at=T0,
    subject="配送について",
    tags=["delivery", "vip"],
    custom_fields={"order_number": "A-100"},
)


def customer(name: str | None, language: str | None) -> Customer:
    return Customer(
        id="c1",
        tenant_id="acme",
        display_name=name,
        language=language,
        created_at=T0,
        attributes={"plan": "ゴールド"},
    )


def context(who: Customer | None, agent_name: str | None = "佐藤") -> MacroContext:
    return MacroContext(case=CASE, customer=who, agent_id="sato", agent_name=agent_name)


def test_a_japanese_customer_is_addressed_with_sama_and_without_a_name_as_okyakusama() -> None:
    text = (
        "{{customer.salutation}}、ご注文{{case.custom_fields.order_number}}の件、"
        "担当の{{agent.name}}です。"
    )
    named = render(text, context(customer("山田花子", "ja")))
    assert named == "山田花子様、ご注文A-100の件、担当の佐藤です。"
    assert render(text, context(customer(None, "ja-JP"))).startswith("お客様、")
    assert render("Dear {{customer.salutation}}", context(customer(None, "en"))) == "Dear customer"
    assert render("Dear {{customer.salutation}}", context(None)) == "Dear customer"
    # A Japanese macro for a customer whose language is not known: お客様, politely.
    unknown = MacroContext(case=CASE, customer=customer(None, None), agent_id="s", language="ja")
    assert render("{{customer.salutation}}、", unknown) == "お客様、"


def test_defaults_fill_empty_values_and_the_agent_s_id_stands_in_for_a_missing_name() -> None:
    text = (
        "{{customer.name|お客様}} / {{customer.attributes.plan}} /"
        " {{customer.attributes.none|-}} / {{agent.name}}"
    )
    assert (
        render(text, context(customer(None, "ja"), agent_name=None))
        == "お客様 / ゴールド / - / sato"
    )


def test_the_case_number_is_the_short_reference_the_desk_shows() -> None:
    assert case_number(CASE.id) == "3F2A9C1E"
    assert render("No. {{ case.number }}", context(None)) == "No. 3F2A9C1E"


def test_an_unknown_variable_is_refused_when_the_macro_is_saved() -> None:
    check_text("{{customer.name}} {{case.custom_fields.anything}} {{customer.attributes.x}}")
    with pytest.raises(UnknownVariable, match=r"\{\{custmer.name\}\}"):
        check_text("{{custmer.name}}様")
    with pytest.raises(UnknownVariable):
        check_text("{{case.custom_fields.}}")
    assert variables_in("{{a.b}} {{a.b|x}} {{c}}") == ["a.b", "c"]


def test_a_macro_s_actions_become_one_case_edit() -> None:
    actions = MacroActions(
        status="pending", assignee_id="me", add_tags=("refund",), remove_tags=("vip",)
    )
    assert actions.any()
    assert macro_patch(actions, CASE, "sato") == {
        "status": "pending",
        "assignee_id": "sato",
        "tags": ["delivery", "refund"],
    }
    assert macro_patch(MacroActions(), CASE, "sato") == {}
    assert not MacroActions().any()


def test_who_is_offered_which_macro() -> None:
    assert visible_to("tenant", None, agent_id="ana", teams=())
    assert visible_to("team", "billing", agent_id="ana", teams=("billing",))
    assert not visible_to("team", "billing", agent_id="ana", teams=("sales",))
    assert visible_to("agent", "ana", agent_id="ana", teams=())
    assert not visible_to("agent", "bo", agent_id="ana", teams=())
