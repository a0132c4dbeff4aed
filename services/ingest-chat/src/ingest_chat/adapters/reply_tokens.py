"""The newest reply token of each LINE user, while it can still be used."""

from __future__ import annotations

import time

REPLY_TOKEN_SECONDS = 50.0
"""LINE accepts a reply token for about a minute; keep a margin."""


class ReplyTokens:
    """In memory per instance: a token missed here only means a push instead of a reply."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._capacity = capacity

    def remember(self, tenant_id: str, user_id: str, token: str) -> None:
        if len(self._tokens) >= self._capacity:
            self._tokens.pop(next(iter(self._tokens)))
        self._tokens[(tenant_id, user_id)] = (token, time.monotonic())

    def take(self, tenant_id: str, user_id: str) -> str | None:
        """The user's token if still fresh; a token is used at most once."""
        found = self._tokens.pop((tenant_id, user_id), None)
        if found is None or time.monotonic() - found[1] > REPLY_TOKEN_SECONDS:
            return None
        return found[0]
