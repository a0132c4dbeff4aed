"""The event contract: ids, envelopes, decoding, and the committed JSON Schemas."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cc_common.events import (
    INTERACTION_RECEIVED,
    Channel,
    Content,
    Direction,
    Envelope,
    Interaction,
    RoutingChange,
    TaskState,
    UndecodableEvent,
    decode_event,
    derived_event_id,
    encode_event,
    provider_event_id,
    routing_event_type,
)
from cc_common.schemas import stale_schemas, write_schemas
from cc_common.topics import ALL_TOPICS, all_topic_names, topic_by_name

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "docs" / "schemas"


def _interaction_event(**overrides: object) -> Envelope[Interaction]:
    fields: dict[str, object] = {
        "id": provider_event_id("acme", "line", "m-1"),
        "type": INTERACTION_RECEIVED,
        "tenant_id": "acme",
        "occurred_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "source": "test",
        "data": Interaction(
            channel=Channel.LINE,
            direction=Direction.INBOUND,
            provider="line",
            conversation_key="line:U1",
            content=Content(text="こんにちは"),
        ),
    }
    fields.update(overrides)
    return Envelope[Interaction](**fields)


def test_provider_event_id_is_deterministic_and_scoped() -> None:
    first = provider_event_id("acme", "line", "m-1")
    assert first == provider_event_id("acme", "line", "m-1")
    assert first.version == 5
    assert first != provider_event_id("other", "line", "m-1")
    assert first != provider_event_id("acme", "whatsapp", "m-1")
    assert first != provider_event_id("acme", "line", "m-2")


def test_derived_ids_differ_by_label() -> None:
    cause = uuid.uuid4()
    assert derived_event_id(cause, "task") == derived_event_id(cause, "task")
    assert derived_event_id(cause, "task") != derived_event_id(cause, "queued")


def test_encode_decode_round_trip_keeps_the_typed_payload() -> None:
    event = _interaction_event()
    decoded = decode_event(encode_event(event))
    assert isinstance(decoded.data, Interaction)
    assert decoded.data.content is not None
    assert decoded.data.content.text == "こんにちは"
    assert decoded.id == event.id
    assert decoded.occurred_at == event.occurred_at


def test_routing_events_decode_to_routing_change() -> None:
    task_id = uuid.uuid4()
    event = Envelope[RoutingChange](
        id=derived_event_id(task_id, "queued"),
        type=routing_event_type(TaskState.QUEUED),
        tenant_id="acme",
        occurred_at=datetime.now(UTC),
        source="router",
        data=RoutingChange(
            task_id=task_id,
            interaction_id=uuid.uuid4(),
            conversation_key="c",
            channel=Channel.VOICE,
            state=TaskState.QUEUED,
            queue="voice",
        ),
    )
    decoded = decode_event(encode_event(event))
    assert decoded.type == "task.queued"
    assert isinstance(decoded.data, RoutingChange)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "invalid envelope"),
        (b'{"id": "x"}', "invalid envelope"),
        (
            encode_event(_interaction_event()).replace(b"interaction.received", b"nope.happened"),
            "unknown event type",
        ),
        (
            encode_event(_interaction_event()).replace(b'"channel":"line"', b'"channel":"fax"'),
            "invalid interaction.received payload",
        ),
    ],
)
def test_undecodable_bytes_raise_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(UndecodableEvent, match=reason):
        decode_event(raw)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        _interaction_event(occurred_at=datetime(2026, 1, 1))


def test_tenant_ids_are_slugs() -> None:
    with pytest.raises(ValueError, match="tenant_id"):
        _interaction_event(tenant_id="Acme Corp")


def test_every_topic_has_a_dead_letter_twin() -> None:
    names = all_topic_names()
    for topic in ALL_TOPICS:
        assert topic.name.endswith(".v1")
        assert topic.dlq == topic.name + ".dlq"
        assert topic.dlq in names
        assert topic_by_name(topic.dlq) is topic


def test_committed_schemas_are_current() -> None:
    stale = stale_schemas(SCHEMA_DIR)
    assert stale == [], f"run `make schemas`: stale {stale}"


def test_schema_check_notices_a_changed_file(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    assert stale_schemas(tmp_path) == []
    (tmp_path / "Interaction.json").write_text("{}\n")
    (tmp_path / "Gone.json").write_text("{}\n")
    assert stale_schemas(tmp_path) == ["Gone.json", "Interaction.json"]
