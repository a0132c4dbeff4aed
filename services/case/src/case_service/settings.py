"""Settings of the case service (env prefix ``CASE_``)."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from case_service.domain.identity import IdentityRules
from case_service.domain.lifecycle import CasePolicy, Priority
from case_service.domain.replies import ApprovalRule, ApprovedTemplate
from case_service.domain.sla import BusinessCalendar, SlaPolicy
from case_service.domain.surveys import SurveyRule
from cc_common.events import BusinessHours
from cc_common.settings import ServiceSettings


class MergePolicy(StrEnum):
    AUTO = "auto"
    """Verified identities of two customers on one contact merge them at once."""
    PROPOSE = "propose"
    """Every such contact proposes the merge to a supervisor."""


def public_holidays(country: str | None) -> frozenset[date]:
    """A country's public holidays from last year to two years ahead."""
    return _holidays_around(country, date.today().year) if country else frozenset()


@cache
def _holidays_around(country: str, year: int) -> frozenset[date]:
    """Computed once a year per country (tenant rules are read for every contact)."""
    import holidays  # loaded only by tenants that ask for it

    return frozenset(holidays.country_holidays(country, years=range(year - 1, year + 3)))


class SlaRules(BaseModel):
    """A tenant's service-level targets, in business minutes, by case priority."""

    hours: BusinessHours = Field(
        default_factory=BusinessHours, description="Business hours the clock runs in."
    )
    holidays: list[date] = Field(default_factory=list, description="Whole days off.")
    public_holidays: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="Also closed on this country's public holidays (ISO 3166, e.g. JP),"
        " from the maintained `holidays` package.",
    )
    closed_reply: dict[str, str] = Field(
        default_factory=dict,
        description="Outside business hours, told once per conversation per closed period,"
        ' per language: {"ja": "...", "en": "..."} (none: no auto-reply).',
    )
    first_response_minutes: dict[Priority, float] = Field(
        default_factory=lambda: {
            Priority.URGENT: 30.0,
            Priority.HIGH: 60.0,
            Priority.NORMAL: 240.0,
            Priority.LOW: 480.0,
        }
    )
    resolution_minutes: dict[Priority, float] = Field(
        default_factory=lambda: {
            Priority.URGENT: 240.0,
            Priority.HIGH: 480.0,
            Priority.NORMAL: 1440.0,
            Priority.LOW: 2880.0,
        }
    )

    def policy(self) -> SlaPolicy:
        window = (self.hours.opens, self.hours.closes)
        calendar = BusinessCalendar(
            timezone=self.hours.timezone,
            hours={day: (window,) for day in self.hours.days},
            holidays=frozenset(self.holidays) | public_holidays(self.public_holidays),
        )
        return SlaPolicy(
            calendar=calendar,
            first_response_minutes={k.value: v for k, v in self.first_response_minutes.items()},
            resolution_minutes={k.value: v for k, v in self.resolution_minutes.items()},
        )


class ReplyTemplateSpec(BaseModel):
    """A WhatsApp template the provider approved for the tenant."""

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(default="en", min_length=2, max_length=15)
    parameters: int = Field(default=0, ge=0, le=20, description="How many {{n}} it takes.")
    text: str = Field(default="", max_length=1024, description="The approved wording.")

    def approved(self) -> ApprovedTemplate:
        return ApprovedTemplate(self.name, self.language, self.parameters, self.text)


class SurveySettings(BaseModel):
    """The satisfaction survey a tenant sends when a case is solved."""

    kind: Literal["csat", "nps"] = "csat"
    questions: dict[str, str] = Field(
        default_factory=dict, description='Own wording per language, e.g. {"ja": "..."}.'
    )
    whatsapp_template: str | None = Field(
        default=None, description="Approved template for WhatsApp outside the 24-hour window."
    )
    whatsapp_template_language: str = "ja"

    def rule(self) -> SurveyRule:
        return SurveyRule(
            kind=self.kind,
            questions=tuple(self.questions.items()),
            whatsapp_template=self.whatsapp_template,
            whatsapp_template_language=self.whatsapp_template_language,
        )


class TenantCaseRules(BaseModel):
    """One tenant's case rules (every field optional: the defaults apply)."""

    reopen_window_hours: float = Field(
        default=72, gt=0, description="A solved case reopens when the customer writes within it."
    )
    join_open_case_channels: list[str] = Field(
        default_factory=lambda: ["voice", "sms"],
        description="Channels whose new conversations join the customer's open case there.",
    )
    merge_policy: MergePolicy = MergePolicy.AUTO
    phone_region: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="Country of numbers written without a country code (ISO 3166, e.g. JP).",
    )

    def identity_rules(self) -> IdentityRules:
        return IdentityRules(
            phone_region=self.phone_region, auto_merge=self.merge_policy is MergePolicy.AUTO
        )

    sla: SlaRules | None = Field(
        default_factory=SlaRules, description="Service-level targets; null: none."
    )
    reply_templates: list[ReplyTemplateSpec] = Field(
        default_factory=list,
        max_length=500,
        description="Approved WhatsApp templates: offered outside the 24-hour window, and"
        " a reply's template must be one of them (none listed: the provider checks).",
    )

    survey: SurveySettings | None = Field(
        default=None,
        description="Ask the customer for CSAT or NPS on the case's channel when it is"
        " solved (once a case; not to customers whose consent has surveys: false).",
    )
    approval_agents: list[str] = Field(
        default_factory=list,
        description="Agents whose replies a supervisor approves before they are sent (承認).",
    )
    approval_queues: list[str] = Field(
        default_factory=list,
        description="Queues whose cases' replies a supervisor approves before they are sent.",
    )

    def closed_reply(self) -> dict[str, str]:
        """What a customer writing outside business hours is told (none: nothing)."""
        return self.sla.closed_reply if self.sla is not None else {}

    def survey_rule(self) -> SurveyRule | None:
        return self.survey.rule() if self.survey else None

    def approval_rule(self) -> ApprovalRule:
        return ApprovalRule(frozenset(self.approval_agents), frozenset(self.approval_queues))

    def approved_templates(self) -> tuple[ApprovedTemplate, ...]:
        return tuple(spec.approved() for spec in self.reply_templates)

    def case_policy(self) -> CasePolicy:
        return CasePolicy(
            reopen_window=timedelta(hours=self.reopen_window_hours),
            join_open_case_channels=frozenset(self.join_open_case_channels),
            sla=self.sla.policy() if self.sla is not None else None,
        )


class CaseSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASE_")

    database: str = Field(default="cc_case", description="The case service's own database.")
    consumer_group: str = Field(default="case", description="Kafka consumer group.")
    timeline_page_max: int = Field(default=200, description="Largest timeline page served.")
    router_url: str = Field(
        default="http://127.0.0.1:8004", description="The router's HTTP API (queue figures)."
    )
    chat_url: str = Field(
        default="http://127.0.0.1:8001",
        description="ingest-chat's HTTP API (the bytes of chat attachments).",
    )
    email_url: str = Field(
        default="http://127.0.0.1:8002",
        description="ingest-email's HTTP API (the bytes of mail attachments).",
    )
    default_rules: TenantCaseRules = Field(
        default_factory=TenantCaseRules,
        description='Case rules of tenants without their own, JSON: {"reopen_window_hours": 72}.',
    )
    tenant_rules: dict[str, TenantCaseRules] = Field(
        default_factory=dict,
        description='Per tenant, JSON: {"acme": {"reopen_window_hours": 24, '
        '"join_open_case_channels": ["voice"], "merge_policy": "propose", '
        '"reply_templates": [{"name": "order_update", "language": "ja", "parameters": 2, '
        '"text": "{{1}}様、ご注文{{2}}について"}]}} (reply_templates: the approved WhatsApp '
        "templates, offered outside the 24-hour window and the only ones a reply may name).",
    )

    dev_sign_in: bool = Field(
        default=False,
        description="Development only: POST /v1/dev/sign-in hands the agent desk a token"
        " for any agent or supervisor of any tenant. Never on in production.",
    )

    sla_check_seconds: float = Field(
        default=15, gt=0, description="How often SLA due times are checked for breaches."
    )

    live_queue_seconds: float = Field(
        default=10, gt=0, description="How often supervisors' live streams get queue figures."
    )
    live_queue_size: int = Field(
        default=1000, ge=10, description="Events a live subscriber may lag before it is dropped."
    )
    live_replay_events: int = Field(
        default=5000,
        ge=0,
        description="Events kept for clients reconnecting with Last-Event-ID (per process).",
    )
    live_replay_seconds: float = Field(
        default=300,
        ge=0,
        description="How long an event is kept for clients reconnecting with Last-Event-ID.",
    )

    webhook_senders: int = Field(
        default=32, ge=1, description="Webhook deliveries in flight, in all."
    )
    webhook_per_target: int = Field(
        default=8, ge=1, description="Webhook deliveries in flight to one subscription."
    )
    webhook_timeout_seconds: float = Field(default=10, gt=0, description="Per delivery attempt.")
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="Allow http and private or loopback addresses (local development, tests).",
    )
    webhook_first_retry_seconds: float = Field(
        default=10, gt=0, description="Wait before a failed delivery's first retry (doubling)."
    )
    webhook_retry_hours: float = Field(
        default=24, gt=0, description="How long failed deliveries are retried before failing."
    )
    webhook_secret_overlap_hours: float = Field(
        default=24, gt=0, description="How long a rotated-out secret still signs deliveries."
    )

    def rules_for(self, tenant_id: str) -> TenantCaseRules:
        """The tenant's case rules."""
        return self.tenant_rules.get(tenant_id, self.default_rules)
