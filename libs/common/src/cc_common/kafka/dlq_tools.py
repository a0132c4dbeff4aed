"""Read a dead-letter topic and replay its messages to the topic they came from."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from cc_common.kafka.dead_letters import header_text, replay_headers
from cc_common.kafka.inspect import read_topic
from cc_common.kafka.producer import EventProducer, Headers
from cc_common.settings import KafkaSettings
from cc_common.topics import DLQ_SUFFIX


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead-lettered message. ``ref`` (partition:offset in the DLQ) identifies it."""

    ref: str
    event_id: str | None
    event_type: str | None
    error_type: str | None
    error_message: str | None
    original_topic: str | None
    failed_at: str | None
    key: bytes | None
    value: bytes
    headers: Headers

    def summary(self) -> dict[str, str | None]:
        """What an operator needs to decide: which message, and why it failed."""
        return {
            "ref": self.ref,
            "event_id": self.event_id,
            "type": self.event_type,
            "error_type": self.error_type,
            "error": self.error_message,
            "original_topic": self.original_topic,
            "failed_at": self.failed_at,
            "payload_preview": self.value[:120].decode("utf-8", "replace"),
        }


async def read_dead_letters(settings: KafkaSettings, topic: str) -> list[DeadLetter]:
    """Every message currently in ``topic``'s dead-letter twin, oldest first."""
    dlq = topic.removesuffix(DLQ_SUFFIX) + DLQ_SUFFIX
    return [_to_dead_letter(r.partition, r.offset, r) for r in await read_topic(settings, dlq)]


def _to_dead_letter(partition: int, offset: int, record: object) -> DeadLetter:
    headers: Headers = list(getattr(record, "headers", ()) or ())
    value: bytes = getattr(record, "value", b"") or b""
    return DeadLetter(
        ref=f"{partition}:{offset}",
        event_id=header_text(headers, "id"),
        event_type=header_text(headers, "type"),
        error_type=header_text(headers, "x-error-type"),
        error_message=header_text(headers, "x-error-message"),
        original_topic=header_text(headers, "x-original-topic"),
        failed_at=header_text(headers, "x-failed-at"),
        key=getattr(record, "key", None),
        value=value,
        headers=headers,
    )


def select(letters: Iterable[DeadLetter], ids: Iterable[str]) -> list[DeadLetter]:
    """Letters whose ref or event id is among ``ids``; all of them when ``ids`` is empty."""
    wanted = set(ids)
    return [d for d in letters if not wanted or d.ref in wanted or d.event_id in wanted]


async def replay(producer: EventProducer, topic: str, letters: Iterable[DeadLetter]) -> int:
    """Republish letters to their original topic; consumers drop ids they already stored."""
    base = topic.removesuffix(DLQ_SUFFIX)
    records = [(d.key, d.value, replay_headers(d.headers)) for d in letters]
    if records:
        await producer.send_raw_many(base, records)
    return len(records)


def as_json_lines(letters: Iterable[DeadLetter]) -> str:
    """One JSON object per line, for scripts."""
    return "\n".join(json.dumps(d.summary(), ensure_ascii=False) for d in letters)
