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

    bootstrap_servers: str = Field(default="127.0.0.1:19092", description="host:port[,host:port].")
    client_id: str = Field(
        default="contactcenter", description="Client id prefix seen by the broker."
    )
    idempotence: str = Field(
        default="auto",
        pattern="^(auto|on|off)$",
        description="auto: use idempotent producers where the broker supports them.",
    )
    compression: str | None = Field(default="gzip", description="Producer compression codec.")
    linger_ms: int = Field(default=5, description="How long the producer waits to fill a batch.")
    request_timeout_ms: int = Field(
        default=10_000, description="How long a write may wait for acks=all before 503."
    )
    fetch_max_wait_ms: int = Field(
        default=10,
        description="A fetch's wait while events flow: short, because some brokers (Tansu)"
        " do not answer a waiting fetch when data arrives.",
    )
    fetch_idle_wait_ms: int = Field(
        default=4000,
        description="The wait a consumer lengthens to while nothing flows (doubling from"
        " fetch_max_wait_ms once a second), so an idle stack does not keep the broker"
        " busy. Tansu looks for new data about twenty times within a fetch's wait, so the"
        " first event after a quiet spell arrives up to a twentieth of this late (200 ms);"
        " Kafka answers a waiting fetch as soon as data comes.",
    )
    max_event_bytes: int = Field(
        default=1_000_000,
        ge=10_000,
        description="Largest event a service produces, in encoded bytes; keep it under the"
        " broker's message limit (Kafka's message.max.bytes, 1 MiB by default). Larger"
        " events are refused for good (413/422 at the API, dead-lettered in consumers).",
    )
    max_poll_records: int = Field(default=500, description="Largest batch a consumer handles.")
    session_timeout_ms: int = Field(
        default=10_000,
        description="Brokers that ignore LeaveGroup make a restarted member wait this long.",
    )
    heartbeat_interval_ms: int = Field(default=3_000, description="Consumer heartbeat interval.")
    topic_suffix: str = Field(default="", description="Appended to topic names (test isolation).")
    group_instance_id: str | None = Field(
        default=None,
        description="A stable name for this process (its pod name): static group membership,"
        " so a restarted process takes its partitions back without waiting out its old"
        " session. Unique per process; unset: dynamic membership.",
    )


class MongoSettings(BaseSettings):
    """How to reach MongoDB (env prefix ``CC_MONGO_``)."""

    model_config = SettingsConfigDict(env_prefix="CC_MONGO_")

    url: SecretStr = Field(
        default=SecretStr("mongodb://127.0.0.1:27027/?retryWrites=false"),
        description="Connection string, with credentials; keep retryWrites on real MongoDB.",
    )
    server_selection_timeout_ms: int = Field(
        default=5_000, description="How long an operation waits for a reachable server."
    )
    journal: bool = Field(
        default=True,
        description="Writes are acknowledged once in the database's journal (write"
        " concern j), so an acknowledged write survives the database process being"
        " killed; measured on SecantusDB without it: 35-60 of a few thousand"
        " acknowledged writes lost to a SIGKILL. Off trades that for write speed.",
    )


class AuthSettings(BaseSettings):
    """Bearer tokens for the agent and integration APIs (env prefix ``CC_AUTH_``)."""

    model_config = SettingsConfigDict(env_prefix="CC_AUTH_")

    jwt_secret: SecretStr = Field(
        default=SecretStr("insecure-local-development-secret-change-me"),
        description="HMAC key of bearer tokens (32+ bytes; required in production).",
    )
    jwt_previous_secrets: list[SecretStr] = Field(
        default_factory=list,
        description="Keys still accepted while a rotation is under way (JSON list); "
        "tokens are always signed with CC_AUTH_JWT_SECRET.",
    )
    jwt_issuer: str = Field(default="contactcenter", description="Expected `iss` claim.")
    jwt_audience: str = Field(default="contactcenter-api", description="Expected `aud` claim.")
    principal_requests_per_second: float = Field(
        default=100.0,
        gt=0,
        description="Requests per second one caller (tenant and token subject) may make on "
        "average, per instance; beyond it, 429 with Retry-After.",
    )
    principal_burst: int = Field(
        default=300,
        ge=1,
        description="Requests one caller may make at once before the rate applies.",
    )


class ServiceSettings(BaseSettings):
    """What every service has; subclasses add an ``env_prefix`` and their own fields."""

    environment: Environment = Field(default=Environment.LOCAL, validation_alias="CC_ENVIRONMENT")
    log_level: str = Field(default="INFO", validation_alias="CC_LOG_LEVEL")
    max_body_bytes: int = Field(default=1_048_576, description="Larger request bodies get 413.")
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
