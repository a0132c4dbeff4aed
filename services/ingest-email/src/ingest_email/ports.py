"""What the intake and the reply sender need from storage and the broker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from cc_common.events.owed import Owed
from ingest_email.domain.threading import KnownMessage


class ThreadIndexPort(Protocol):
    """Every Message-ID received or sent, by tenant (see adapters.thread_index)."""

    async def find(self, tenant_id: str, message_ids: Sequence[str]) -> dict[str, KnownMessage]: ...

    async def by_token(self, tenant_id: str, token: str) -> KnownMessage | None: ...

    async def record(
        self,
        tenant_id: str,
        *,
        message_id: str,
        conversation_key: str,
        participants: Sequence[str],
        references: tuple[str, ...],
        direction: str,
        at: datetime,
        subject: str | None = None,
        owes: Sequence[Owed] = (),
    ) -> None: ...

    async def published(self, tenant_id: str, message_id: str) -> None: ...

    async def record_token(
        self, tenant_id: str, token: str, *, conversation_key: str, participants: Sequence[str]
    ) -> None: ...
