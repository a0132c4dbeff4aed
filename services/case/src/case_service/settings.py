"""Settings of the case service (env prefix ``CASE_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings


class CaseSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASE_")

    database: str = Field(default="cc_case", description="The case service's own database.")
    consumer_group: str = Field(default="case", description="Kafka consumer group.")
    timeline_page_max: int = Field(default=200, description="Largest timeline page served.")
    router_url: str = Field(
        default="http://127.0.0.1:8004", description="The router's HTTP API (queue figures)."
    )
