"""Settings of the case service (env prefix ``CASE_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings


class CaseSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASE_")

    database: str = "cc_case"
    consumer_group: str = "case"
    timeline_page_max: int = 200
    router_url: str = "http://127.0.0.1:8004"
