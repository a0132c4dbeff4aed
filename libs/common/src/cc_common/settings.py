"""Settings fragments read from the environment, shared by every service."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_SECRETS = frozenset({"", "change-me", "insecure-local-development-secret-change-me"})
MIN_SECRET_BYTES = 32


class Environment(StrEnum):
    LOCAL = "local"
    TEST = "test"
    PRODUCTION = "production"


class KafkaSettings(BaseSettings):
    """How to reach Kafka (env prefix ``CC_KAFKA_``)."""

    model_config = SettingsConfigDict(env_prefix="CC_KAFKA_")

    bootstrap_servers: str = "127.0.0.1:19092"
    client_id: str = "contactcenter"
    idempotence: str = Field(
        default="auto",
        pattern="^(auto|on|off)$",
        description="auto: use idempotent producers where the broker supports them.",
    )
    compression: str | None = "gzip"
    linger_ms: int = 5
    request_timeout_ms: int = 10_000
    fetch_max_wait_ms: int = Field(
        default=10, description="Short, because some brokers do not wake a waiting fetch."
    )
    max_poll_records: int = 500
    session_timeout_ms: int = Field(
        default=10_000,
        description="Brokers that ignore LeaveGroup make a restarted member wait this long.",
    )
    heartbeat_interval_ms: int = 3_000
    topic_suffix: str = Field(default="", description="Appended to topic names (test isolation).")


class MongoSettings(BaseSettings):
    """How to reach MongoDB (env prefix ``CC_MONGO_``)."""

    model_config = SettingsConfigDict(env_prefix="CC_MONGO_")

    url: SecretStr = SecretStr("mongodb://127.0.0.1:27027/?retryWrites=false")
    server_selection_timeout_ms: int = 5_000


class AuthSettings(BaseSettings):
    """Bearer tokens for the agent and integration APIs (env prefix ``CC_AUTH_``)."""

    model_config = SettingsConfigDict(env_prefix="CC_AUTH_")

    jwt_secret: SecretStr = SecretStr("insecure-local-development-secret-change-me")
    jwt_issuer: str = "contactcenter"
    jwt_audience: str = "contactcenter-api"


class ServiceSettings(BaseSettings):
    """What every service has; subclasses add an ``env_prefix`` and their own fields."""

    environment: Environment = Field(default=Environment.LOCAL, validation_alias="CC_ENVIRONMENT")
    log_level: str = Field(default="INFO", validation_alias="CC_LOG_LEVEL")
    max_body_bytes: int = 1_048_576
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    mongo: MongoSettings = Field(default_factory=MongoSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.environment is Environment.PRODUCTION:
            for name, value in self._secrets():
                secret = value.get_secret_value()
                if secret in _PLACEHOLDER_SECRETS or len(secret.encode()) < MIN_SECRET_BYTES:
                    raise ValueError(
                        f"{name} must be a real secret of at least {MIN_SECRET_BYTES} bytes"
                        " in production"
                    )
        return self

    def _secrets(self) -> list[tuple[str, SecretStr]]:
        return [("CC_AUTH_JWT_SECRET", self.auth.jwt_secret)]
