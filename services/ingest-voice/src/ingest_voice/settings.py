"""Settings of ingest-voice (env prefix ``VOICE_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings


class VoiceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VOICE_")

    default_region: str = Field(
        default="JP", description="Country of national-format caller numbers (ISO 3166)."
    )
