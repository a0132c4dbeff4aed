"""Conversation signals round-trip through the event codec with their own payloads."""

from __future__ import annotations

from cc_common.events import (
    Channel,
    ConversationTyping,
    WebchatMessageStored,
    decode_event,
    encode_event,
    message_stored_signal,
    typing_signal,
)


def test_both_signals_decode_to_their_payloads_with_fresh_ids() -> None:
    typing = ConversationTyping(
        conversation_key="webchat:c1", channel=Channel.WEBCHAT, party="agent", agent_id="emi"
    )
    first, second = (typing_signal("acme", typing, source="case") for _ in range(2))
    assert first.id != second.id, "signals are never de-duplicated"
    decoded = decode_event(encode_event(first))
    assert decoded.data == typing
    assert decoded.correlation_id == "webchat:c1"
    stored = decode_event(encode_event(message_stored_signal("acme", "webchat:c1", 4, source="t")))
    assert stored.data == WebchatMessageStored(conversation_key="webchat:c1", seq=4)
    assert stored.type == "webchat.message_stored"
