"""Settings of ingest-email (env prefix ``EMAIL_``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cc_common.settings import ServiceSettings


class EmailTenant(BaseModel):
    """One tenant's mail setup: the addresses it receives on and who its staff are."""

    addresses: list[str] = Field(
        default_factory=list, description="Support addresses, e.g. support@acme.example."
    )
    domains: list[str] = Field(
        default_factory=list, description="Catch-all domains: any address there is this tenant."
    )
    from_address: str | None = Field(
        default=None, description="Sender of replies (the first address when unset)."
    )
    from_name: str | None = None
    staff_domains: list[str] = Field(
        default_factory=list,
        description="Mail from these domains that copies a support address is a staff reply.",
    )
    staff_addresses: list[str] = Field(default_factory=list)
    trusted_authserv_ids: list[str] = Field(
        default_factory=list,
        description=(
            "The relays (authserv-id of their Authentication-Results, e.g. mx.acme.example)"
            " whose DMARC/DKIM/SPF verdicts prove a sender; without one, no sender is"
            " proven and mail from staff addresses is kept as a customer's, flagged."
        ),
    )
    skills: list[str] = Field(default_factory=list, description="Skills new email work needs.")
    priority: int = Field(default=0, ge=0, le=100)
    mailgun_signing_keys: list[SecretStr] = Field(
        default_factory=list, description="Mailgun webhook signing keys (current first)."
    )
    inbound_basic_auth: list[SecretStr] = Field(
        default_factory=list,
        description="'user:password' pairs SendGrid and Postmark put in the webhook URL.",
    )
    sendgrid_verification_keys: list[str] = Field(
        default_factory=list,
        description="SendGrid parse security policy ECDSA keys (base64 DER or PEM).",
    )
    sns_topic_arns: list[str] = Field(
        default_factory=list, description="SNS topics whose SES notifications are this tenant's."
    )


class SmtpRelay(BaseModel):
    """Where replies are sent (any SMTP relay: a provider's, Postfix, or the local sink)."""

    host: str = "127.0.0.1"
    port: int = 1025
    starttls: bool | None = Field(
        default=None, description="true: require STARTTLS; false: never; null: when offered."
    )
    use_tls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = 30.0


class EmailSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EMAIL_")

    max_body_bytes: int = Field(
        default=25 * 1024 * 1024, description="Largest raw message accepted (413/552 above)."
    )
    database: str = Field(default="cc_email", description="Thread index and attachment blobs.")
    tenants: dict[str, EmailTenant] = Field(
        default_factory=dict,
        description='Per tenant, JSON: {"acme": {"addresses": ["support@acme.example"]}}.',
    )
    smtp_host: str = Field(default="127.0.0.1", description="Inbound SMTP listen address.")
    smtp_port: int | None = Field(
        default=None, description="Inbound SMTP port (no SMTP listener when unset)."
    )
    smtp_hostname: str = Field(default="mx.contactcenter.local", description="Our SMTP banner.")
    smtp_messages_per_ip_per_second: float = Field(
        default=50.0,
        gt=0,
        description="Messages one sending address may start per second on average; beyond"
        " it MAIL FROM gets 451 4.7.1 (the sender retries). Mind a gateway that relays all.",
    )
    smtp_message_burst_per_ip: int = Field(
        default=500, ge=1, description="Messages one sending address may start at once."
    )
    smtp_tls_cert: str | None = Field(default=None, description="PEM certificate for STARTTLS.")
    smtp_tls_key: str | None = Field(default=None, description="PEM key for STARTTLS.")
    relay: SmtpRelay = Field(default_factory=SmtpRelay)
    outbound_consumer_group: str = Field(
        default="ingest-email-outbound", description="Consumer group of cc.outbound.v1."
    )
    sns_certificate_hosts: str = Field(
        default=r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$",
        description="Hosts SNS signing certificates may come from (a regular expression).",
    )
    sns_certificate_scheme: str = Field(
        default="https", description="Only https in production; tests serve a local http one."
    )

    def _secrets(self) -> list[tuple[str, SecretStr]]:
        found = [
            (f"EMAIL_TENANTS[{tenant}]", secret)
            for tenant, config in self.tenants.items()
            for secret in (*config.mailgun_signing_keys, *config.inbound_basic_auth)
        ]
        if self.relay.password is not None:
            found.append(("EMAIL_RELAY.password", self.relay.password))
        return [*super()._secrets(), *found]
