"""Settings of the router (env prefix ``ROUTER_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings


class RouterSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTER_")

    database: str = Field(default="cc_router", description="The router's own database.")
    consumer_group: str = Field(default="router", description="Kafka consumer group.")
