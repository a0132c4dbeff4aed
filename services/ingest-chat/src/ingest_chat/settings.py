"""Settings of ingest-chat (env prefix ``CHAT_``)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings


class ChatSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CHAT_")

    visitor_token_secret: SecretStr = SecretStr("insecure-local-development-secret-change-me")
    visitor_token_ttl_seconds: int = 24 * 3600
    max_message_chars: int = 10_000

    def _secrets(self) -> list[tuple[str, SecretStr]]:
        return [*super()._secrets(), ("CHAT_VISITOR_TOKEN_SECRET", self.visitor_token_secret)]
