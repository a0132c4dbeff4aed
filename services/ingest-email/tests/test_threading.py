"""The threading engine's decisions (pure)."""

from __future__ import annotations

from cc_common.events import ThreadMatch
from ingest_email.domain.threading import KnownMessage, decide_thread

SAM = "sam@example.org"
OURS = KnownMessage("<ours-1@acme.example>", "email:<first@example.org>", frozenset({SAM}))


def decide(
    *,
    thread_ids: tuple[str, ...] = (),
    known: dict[str, KnownMessage] | None = None,
    by_token: KnownMessage | None = None,
    sender: str = SAM,
    forward: bool = False,
) -> tuple[str, ThreadMatch, str | None]:
    decision = decide_thread(
        message_id="<new@example.org>",
        thread_ids=thread_ids,
        known=known or {},
        by_token=by_token,
        correspondents=frozenset({sender}),
        forward=forward,
    )
    return decision.conversation_key, decision.match, decision.related_conversation_key


def test_a_reply_to_a_message_we_sent_joins_its_conversation() -> None:
    key, how, _ = decide(thread_ids=(OURS.message_id,), known={OURS.message_id: OURS})
    assert (key, how) == (OURS.conversation_key, ThreadMatch.REPLY)


def test_a_changed_subject_does_not_matter_when_the_headers_match() -> None:
    key, _, _ = decide(thread_ids=("<unknown@x>", OURS.message_id), known={OURS.message_id: OURS})
    assert key == OURS.conversation_key


def test_another_customer_answering_the_same_mail_gets_a_new_conversation() -> None:
    key, how, _ = decide(
        thread_ids=(OURS.message_id,), known={OURS.message_id: OURS}, sender="eve@example.net"
    )
    assert (key, how) == ("email:<new@example.org>", ThreadMatch.NEW)


def test_the_case_token_threads_a_reply_whose_headers_were_lost() -> None:
    key, how, _ = decide(by_token=OURS)
    assert (key, how) == (OURS.conversation_key, ThreadMatch.CASE_TOKEN)


def test_a_case_token_from_someone_else_is_ignored() -> None:
    _, how, _ = decide(by_token=OURS, sender="eve@example.net")
    assert how is ThreadMatch.NEW


def test_a_forward_starts_a_new_conversation_linked_to_the_old_one() -> None:
    key, how, related = decide(
        thread_ids=(OURS.message_id,), known={OURS.message_id: OURS}, forward=True
    )
    assert (key, how, related) == (
        "email:<new@example.org>",
        ThreadMatch.FORWARD,
        OURS.conversation_key,
    )


def test_a_redelivered_message_keeps_its_first_decision() -> None:
    earlier = KnownMessage("<new@example.org>", "email:<somewhere>", frozenset({SAM}))
    key, how, _ = decide(known={earlier.message_id: earlier}, forward=True)
    assert (key, how) == ("email:<somewhere>", ThreadMatch.REDELIVERY)
