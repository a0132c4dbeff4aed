"""Settings of ingest-chat (env prefix ``CHAT_``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from cc_common.settings import Environment, ServiceSettings


class LineChannel(BaseModel):
    """One tenant's LINE official account (Messaging API channel)."""

    channel_secrets: list[SecretStr] = Field(
        min_length=1, description="Channel secrets (current first; the previous during rotation)."
    )
    access_token: SecretStr = Field(description="Channel access token for the send APIs.")
    api_base_url: str = Field(
        default="https://api.line.me", description="Point tests at a local stand-in."
    )
    data_api_base_url: str = Field(
        default="https://api-data.line.me",
        description="Where LINE serves the content of customers' images, videos and files.",
    )
    profile_lookup: bool = Field(
        default=True,
        description="Ask LINE for each new user's display name and app language (cached).",
    )


class MetaApp(BaseModel):
    """One tenant's Meta app: Messenger, Instagram messaging and WhatsApp Cloud API."""

    app_secrets: list[SecretStr] = Field(min_length=1, description="App secrets (current first).")
    verify_tokens: list[SecretStr] = Field(
        min_length=1, description="Tokens accepted in the subscription handshake."
    )
    page_access_token: SecretStr | None = Field(
        default=None, description="Sends Messenger and Instagram replies."
    )
    whatsapp_token: SecretStr | None = Field(default=None, description="Sends WhatsApp replies.")
    whatsapp_phone_number_id: str | None = None
    graph_base_url: str = Field(
        default="https://graph.facebook.com", description="Point tests at a local stand-in."
    )
    graph_version: str = "v21.0"


class TelegramBot(BaseModel):
    """One tenant's Telegram bot."""

    secret_tokens: list[SecretStr] = Field(
        min_length=1, description="The setWebhook secret_token values accepted (current first)."
    )
    bot_token: SecretStr
    api_base_url: str = Field(
        default="https://api.telegram.org", description="Point tests at a local stand-in."
    )


class TwilioSms(BaseModel):
    """One tenant's Twilio messaging account (SMS and MMS)."""

    auth_tokens: list[SecretStr] = Field(min_length=1, description="Current first.")
    account_sid: str = ""
    from_number: str = Field(default="", description="Sender of replies (E.164).")
    api_base_url: str = Field(
        default="https://api.twilio.com", description="Point tests at a local stand-in."
    )


class WebchatSite(BaseModel):
    """One tenant's web-chat widget: the keys its pages embed, and where it may run."""

    widget_keys: list[str] = Field(
        min_length=1,
        description="Public keys the widget sends (one per site; two while one is replaced).",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins (https://www.acme.example) whose pages may start and hold"
        " chats; empty: any origin.",
    )


class ChatSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CHAT_")

    webchat_sites: dict[str, WebchatSite] = Field(
        default_factory=dict,
        description='Per tenant, JSON: {"acme": {"widget_keys": ["wk-acme-www"],'
        ' "allowed_origins": ["https://www.acme.example"]}}. Only these tenants get web chat.',
    )
    webchat_open: bool = Field(
        default=False,
        description="Any tenant id gets web chat without a widget key (tests and load"
        " generators only; refused in production).",
    )

    @model_validator(mode="after")
    def _closed_in_production(self) -> ChatSettings:
        if self.webchat_open and self.environment is Environment.PRODUCTION:
            raise ValueError("CHAT_WEBCHAT_OPEN is for tests: configure CHAT_WEBCHAT_SITES")
        return self

    visitor_token_secret: SecretStr = Field(
        default=SecretStr("insecure-local-development-secret-change-me"),
        description="HMAC key of web-chat conversation tokens (required in production).",
    )
    database: str = Field(default="cc_chat", description="Agents' web-chat messages, files.")
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, description="Largest file a visitor may upload (413 above)."
    )
    visitor_messages_per_second: float = Field(
        default=2.0, description="Average messages one visitor may send (bursts allowed)."
    )
    visitor_message_burst: int = Field(default=10)
    visitor_frames_per_second: float = Field(
        default=10.0,
        description="Average WebSocket frames of any kind one visitor may send (bursts allowed).",
    )
    visitor_frame_burst: int = Field(default=40)
    conversations_per_ip_per_second: float = Field(
        default=0.5, description="New conversations one IP address may start (bursts allowed)."
    )
    conversation_burst_per_ip: int = Field(default=20)
    messages_per_ip_per_second: float = Field(
        default=20.0,
        description="Average visitor messages (and files) from one IP address, across all"
        " its conversations (bursts allowed).",
    )
    message_burst_per_ip: int = Field(default=100)
    email_fallback_minutes: float = Field(
        default=15.0,
        ge=0,
        description="An agent's web-chat message the visitor has not seen this long is sent"
        " to the email the visitor gave (0: never).",
    )
    email_fallback_check_seconds: float = Field(
        default=30.0, gt=0, description="How often unseen messages are looked for."
    )
    visitor_token_ttl_seconds: int = Field(
        default=24 * 3600, description="How long a conversation token is valid."
    )

    line: dict[str, LineChannel] = Field(
        default_factory=dict,
        description='Per tenant, JSON: {"acme": {"channel_secrets": [...], "access_token": ...}}.',
    )
    meta: dict[str, MetaApp] = Field(
        default_factory=dict, description="Per tenant, JSON: Messenger, Instagram, WhatsApp."
    )
    telegram: dict[str, TelegramBot] = Field(default_factory=dict, description="Per tenant, JSON.")
    twilio_sms: dict[str, TwilioSms] = Field(default_factory=dict, description="Per tenant, JSON.")
    public_base_url: str | None = Field(
        default=None, description="The URL providers call (behind a proxy), for Twilio signatures."
    )
    outbound_consumer_group: str = Field(
        default="ingest-chat-outbound", description="Consumer group of cc.outbound.v1."
    )

    def _secrets(self) -> list[tuple[str, SecretStr]]:
        line = [
            (f"CHAT_LINE[{tenant}]", secret)
            for tenant, channel in self.line.items()
            for secret in (*channel.channel_secrets, channel.access_token)
        ]
        meta = [
            (f"CHAT_META[{tenant}]", secret)
            for tenant, app in self.meta.items()
            for secret in (*app.app_secrets, *app.verify_tokens)
        ]
        bots = [
            (f"CHAT_TELEGRAM[{tenant}]", secret)
            for tenant, bot in self.telegram.items()
            for secret in (*bot.secret_tokens, bot.bot_token)
        ]
        sms = [
            (f"CHAT_TWILIO_SMS[{tenant}]", token)
            for tenant, account in self.twilio_sms.items()
            for token in account.auth_tokens
        ]
        return [
            *super()._secrets(),
            *sms,
            ("CHAT_VISITOR_TOKEN_SECRET", self.visitor_token_secret),
            *line,
            *meta,
            *bots,
        ]
