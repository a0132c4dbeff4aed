"""The threading engine: which conversation an email belongs to (pure).

Chatwoot and Zammad open a new ticket for replies whose headers they do not
recognise and glue forwards onto old tickets. Here a message joins a
conversation only through an id we received or sent in that conversation (or,
when a client dropped the headers, the case token in the subject) and only if
the sender took part in it, so two customers answering one newsletter never
share a case. Forwards start a conversation of their own that links back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cc_common.events import ThreadMatch


@dataclass(frozen=True, slots=True)
class KnownMessage:
    """A message in the thread index: its conversation and who took part in it."""

    message_id: str
    conversation_key: str
    participants: frozenset[str]
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ThreadDecision:
    conversation_key: str
    match: ThreadMatch
    related_conversation_key: str | None = None


def new_conversation_key(message_id: str) -> str:
    return f"email:{message_id}"


def decide_thread(
    *,
    message_id: str,
    thread_ids: tuple[str, ...],
    known: Mapping[str, KnownMessage],
    by_token: KnownMessage | None,
    correspondents: frozenset[str],
    forward: bool,
) -> ThreadDecision:
    """Where the message goes.

    ``known`` holds the index entries for ``message_id`` and ``thread_ids``;
    ``correspondents`` are the customer-side addresses that must have taken part
    (the sender, or a staff reply's recipients).
    """
    itself = known.get(message_id)
    if itself is not None:
        # Redelivered (SMTP retry, webhook replay): the earlier decision stands.
        return ThreadDecision(itself.conversation_key, ThreadMatch.REDELIVERY)
    matched = _first_shared(thread_ids, known, correspondents)
    if matched is None and by_token is not None and by_token.participants & correspondents:
        matched = by_token
        how = ThreadMatch.CASE_TOKEN
    else:
        how = ThreadMatch.REPLY
    if forward:
        return ThreadDecision(
            new_conversation_key(message_id),
            ThreadMatch.FORWARD,
            related_conversation_key=matched.conversation_key if matched else None,
        )
    if matched is None:
        return ThreadDecision(new_conversation_key(message_id), ThreadMatch.NEW)
    return ThreadDecision(matched.conversation_key, how)


def _first_shared(
    thread_ids: tuple[str, ...],
    known: Mapping[str, KnownMessage],
    correspondents: frozenset[str],
) -> KnownMessage | None:
    for candidate in thread_ids:
        entry = known.get(candidate)
        if entry is not None and entry.participants & correspondents:
            return entry
    return None
