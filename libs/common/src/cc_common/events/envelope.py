"""The envelope every message on Kafka travels in, and deterministic event ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

#: Namespace of the UUIDv5 ids derived from provider message ids. Never change it:
#: a provider retry must map to the same event id across releases.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c1f5e-8a55-4d0e-9c47-3b1f0f0a9e21")

TENANT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
TenantId = Annotated[str, Field(pattern=TENANT_ID_PATTERN, description="Tenant slug.")]


def _require_timezone(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must carry a timezone")
    return value.astimezone(UTC)


AwareDatetime = Annotated[datetime, AfterValidator(_require_timezone)]


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def provider_event_id(tenant_id: str, provider: str, provider_message_id: str) -> uuid.UUID:
    """Return the deterministic id of a provider's message: a retry maps to the same id."""
    name = "\x1f".join((tenant_id, provider, provider_message_id))
    return uuid.uuid5(EVENT_ID_NAMESPACE, name)


def derived_event_id(cause_id: uuid.UUID | str, label: str) -> uuid.UUID:
    """Return the id of an event caused by another one, stable across replays."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{cause_id}\x1f{label}")


DataT = TypeVar("DataT", bound=BaseModel)


class Envelope(BaseModel, Generic[DataT]):
    """One event: metadata for idempotency, tracing and routing around a typed payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: uuid.UUID = Field(description="Idempotency key: consumers drop an id they stored.")
    type: str = Field(description="Past-tense event name, e.g. interaction.received.")
    schema_version: int = Field(default=1, ge=1)
    tenant_id: TenantId
    occurred_at: AwareDatetime = Field(description="When it happened, by the provider's clock.")
    recorded_at: AwareDatetime = Field(default_factory=utc_now, description="When we saw it.")
    source: str = Field(description="The service that published the event.")
    correlation_id: str | None = Field(default=None, description="Ties one customer contact.")
    causation_id: str | None = Field(default=None, description="The event that caused this.")
    data: DataT


class RawEnvelope(BaseModel):
    """The envelope with an untyped payload: the first step of decoding."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: uuid.UUID
    type: str
    schema_version: int = 1
    tenant_id: TenantId
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    source: str
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict[str, Any]
