"""Settings of ingest-chat (env prefix ``CHAT_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings


class ChatSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CHAT_")

    visitor_token_secret: SecretStr = Field(
        default=SecretStr("insecure-local-development-secret-change-me"),
        description="HMAC key of web-chat conversation tokens (required in production).",
    )
    visitor_token_ttl_seconds: int = Field(
        default=24 * 3600, description="How long a conversation token is valid."
    )

    def _secrets(self) -> list[tuple[str, SecretStr]]:
        return [*super()._secrets(), ("CHAT_VISITOR_TOKEN_SECRET", self.visitor_token_secret)]
