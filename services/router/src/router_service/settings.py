"""Settings of the router (env prefix ``ROUTER_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings


class RouterSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTER_")

    database: str = "cc_router"
    consumer_group: str = "router"
