"""Settings of ingest-voice (env prefix ``VOICE_``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings
from ingest_voice.domain.twilio import IvrMenu


class TwilioAccount(BaseModel):
    """One tenant's Twilio account: auth tokens (current first), IVR menu, caller id."""

    auth_tokens: list[SecretStr] = Field(min_length=1)
    menu: IvrMenu = Field(default_factory=IvrMenu)
    account_sid: str = ""
    from_number: str = Field(default="", description="Caller id of outbound calls (E.164).")
    api_base_url: str = Field(
        default="https://api.twilio.com", description="Point tests at a local stand-in."
    )


class VoiceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VOICE_")

    database: str = Field(
        default="cc_voice",
        description="Calls placed for callback requests (a redelivered request rings once).",
    )
    default_region: str = Field(
        default="JP", description="Country of national-format caller numbers (ISO 3166)."
    )
    twilio: dict[str, TwilioAccount] = Field(
        default_factory=dict,
        description='Per tenant, JSON: {"acme": {"auth_tokens": ["..."], "menu": {...}}}.',
    )
    outbound_consumer_group: str = Field(
        default="ingest-voice-outbound", description="Consumer group of cc.outbound.v1."
    )
    public_base_url: str | None = Field(
        default=None,
        description="The URL Twilio calls (behind a proxy), for signature checks.",
    )

    def _secrets(self) -> list[tuple[str, SecretStr]]:
        tokens = [
            (f"VOICE_TWILIO[{tenant}]", token)
            for tenant, account in self.twilio.items()
            for token in account.auth_tokens
        ]
        return [*super()._secrets(), *tokens]
