"""Settings of ingest-email (env prefix ``EMAIL_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings


class EmailSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EMAIL_")

    max_body_bytes: int = Field(
        default=25 * 1024 * 1024, description="Largest raw message accepted (413 above)."
    )
