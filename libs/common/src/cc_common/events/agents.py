"""Agent events: presence changes and task actions, published by the case API."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Presence(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    BUSY = "busy"
    BREAK = "break"
    WRAP_UP = "wrap_up"


class TaskAction(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    WRAP_UP = "wrap_up"
    COMPLETE = "complete"
    ESCALATE = "escalate"
    TRANSFER = "transfer"


class AgentPresenceChanged(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    agent_id: str
    presence: Presence
    reason: str | None = None


class AgentTaskActed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    agent_id: str
    task_id: uuid.UUID
    action: TaskAction
    target_queue: str | None = None
    target_agent_id: str | None = None
    note: str | None = None


class ChannelClass(StrEnum):
    """Channels an agent's capacity is counted in."""

    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"


class AgentConfigured(BaseModel):
    """An agent's routing profile: skills with proficiency 1-5, languages, tier, capacity."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    agent_id: str
    display_name: str | None = None
    skills: dict[str, int] = Field(default_factory=dict)
    languages: tuple[str, ...] = ()
    tier: int = Field(default=1, ge=1, le=3)
    teams: tuple[str, ...] = ()
    capacity: dict[ChannelClass, int] = Field(
        default_factory=lambda: {ChannelClass.VOICE: 1, ChannelClass.CHAT: 3, ChannelClass.EMAIL: 5}
    )
    max_total: int = Field(default=5, ge=1)


class RoutingPolicyConfigured(BaseModel):
    """A tenant's routing policy."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    prefer: str = Field(
        default="longest_idle",
        pattern="^(longest_idle|proficiency)$",
        description="Who gets work first: the longest idle agent, or the most proficient.",
    )
    remember_last_agent_seconds: float = Field(default=24 * 3600, ge=0)
    sticky_wait_seconds: float = Field(
        default=30, ge=0, description="How long a returning customer waits for their agent."
    )
    transfer_reserve_seconds: float = Field(default=60, ge=0)
    away_on_missed_offer: bool = True


class EscalationStep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    after_seconds: int = Field(ge=1)
    to_queue: str


class BusinessHours(BaseModel):
    """When a queue is staffed, in the tenant's time zone; outside them work waits."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    timezone: str = "UTC"
    days: tuple[int, ...] = Field(default=(0, 1, 2, 3, 4), description="0 is Monday.")
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = Field(
        default=dt.time(18, 0),
        description="At or before `opens`: the window ends the next day (22:00-06:00 is a "
        "night shift, 00:00-00:00 the whole day, every day listed: always open).",
    )

    @classmethod
    def always(cls, timezone: str = "UTC") -> BusinessHours:
        """Open every hour of every day, midnight included."""
        return cls(timezone=timezone, days=tuple(range(7)), opens=dt.time(0), closes=dt.time(0))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def is_open(self, at: float) -> bool:
        """True when the epoch time ``at`` falls within the hours."""
        local = dt.datetime.fromtimestamp(at, ZoneInfo(self.timezone))
        now, day = local.time(), local.weekday()
        if self.closes > self.opens:
            return day in self.days and self.opens <= now < self.closes
        # The window runs past midnight: the evening of a listed day, or the early
        # hours after one.
        return (day in self.days and now >= self.opens) or (
            (day - 1) % 7 in self.days and now < self.closes
        )

    def day_end(self, at: float) -> float:
        """The epoch time of the next local midnight after ``at`` (daily figures roll over)."""
        zone = ZoneInfo(self.timezone)
        local = dt.datetime.fromtimestamp(at, zone)
        midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), zone)
        return midnight.timestamp()


class QueueConfigured(BaseModel):
    """A queue of one tenant: who may serve it and how its work waits."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    requires: str = Field(default="", description="e.g. 'billing>=3 & lang=ja & tier>=2'")
    priority: int = Field(default=0, ge=0, le=100)
    aging_per_minute: float = Field(default=1.0, ge=0)
    sla_seconds: int | None = Field(default=None, ge=1)
    sla_target_percent: float = Field(default=80.0, ge=0, le=100)
    offer_timeout_seconds: int | None = Field(
        default=20, ge=1, description="None: offers are accepted automatically (email)."
    )
    escalation: tuple[EscalationStep, ...] = ()
    overflow_queue: str | None = None
    max_wait_seconds: int | None = Field(default=None, ge=1)
    tier_queues: dict[int, str] = Field(default_factory=dict)
    business_hours: BusinessHours | None = Field(
        default=None, description="None: always open. Daily figures roll over at midnight there."
    )
    channels: tuple[str, ...] = Field(default=(), description="Channels routed here by default.")
    keywords: tuple[str, ...] = Field(default=(), description="Text that routes work here.")
    skills_hint: tuple[str, ...] = Field(default=(), description="Ingest skill hints routed here.")
    languages: tuple[str, ...] = Field(default=(), description="Customer languages routed here.")
