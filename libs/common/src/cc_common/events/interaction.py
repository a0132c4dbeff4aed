"""The normalised interaction: what every ingest service makes of a provider event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Channel(StrEnum):
    EMAIL = "email"
    WEBCHAT = "webchat"
    LINE = "line"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    X = "x"
    SMS = "sms"
    VOICE = "voice"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InteractionKind(StrEnum):
    MESSAGE = "message"
    CALL = "call"
    STATUS = "status"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    LINE_USER_ID = "line_user_id"
    MESSENGER_PSID = "messenger_psid"
    INSTAGRAM_ID = "instagram_id"
    WHATSAPP_ID = "whatsapp_id"
    TELEGRAM_USER_ID = "telegram_user_id"
    X_USER_ID = "x_user_id"
    WEBCHAT_VISITOR_ID = "webchat_visitor_id"
    CRM_ID = "crm_id"
    ANONYMOUS = "anonymous"
    """A contact we cannot identify (a withheld number): one customer per contact."""


class PartyRole(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"
    SYSTEM = "system"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Identity(_Frozen):
    """One identifier of a person on one channel (email lower-cased, phone in E.164)."""

    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)
    verified: bool = Field(
        default=False, description="The provider vouches for it (signed webhook, SMTP sender)."
    )
    claimed: bool = Field(
        default=False,
        description=(
            "Typed by the person (a web chat's pre-chat email or phone), not the address the"
            " message came from: it finds no customer, at most a link proposal for an agent."
        ),
    )


class Party(_Frozen):
    role: PartyRole
    display_name: str | None = Field(default=None, max_length=200)
    identities: tuple[Identity, ...] = ()


class AttachmentRef(_Frozen):
    """An attachment stored in the blob store: never inline on Kafka."""

    blob_id: str
    filename: str | None = None
    content_type: str = "application/octet-stream"
    size: int = Field(ge=0)
    sha256: str | None = None
    inline: bool = False


class LanguageSource(StrEnum):
    TEXT = "text"
    PROVIDER = "provider"


class LanguageFacts(_Frozen):
    """How the content's language was decided: both witnesses, and which one won."""

    detected: str | None = Field(default=None, description="From the text (ISO 639-1).")
    confidence: float | None = Field(default=None, ge=0, le=1)
    hinted: str | None = Field(
        default=None,
        max_length=35,
        description="The provider's hint as given (Telegram language_code, Content-Language).",
    )
    chosen_from: LanguageSource | None = None


class Content(_Frozen):
    subject: str | None = None
    text: str | None = None
    html: str | None = Field(default=None, description="Sanitised HTML, for display only.")
    language: str | None = Field(default=None, description="ISO 639-1, lower case.")
    language_facts: LanguageFacts | None = None
    attachments: tuple[AttachmentRef, ...] = ()


class CallStatus(StrEnum):
    """What one call event says happened (every provider's statuses map onto these)."""

    STARTED = "started"
    RINGING = "ringing"
    IVR_INPUT = "ivr_input"
    QUEUED = "queued"
    CONNECTED = "connected"
    """The line was picked up (our application for inbound, the callee for outbound),
    not (yet) known to be a person of ours: never a missed call."""
    ANSWERED = "answered"
    DIAL_UNANSWERED = "dial_unanswered"
    """A leg we dialled (an agent's softphone) did not connect; the call goes on."""
    HELD = "held"
    RESUMED = "resumed"
    TRANSFERRED = "transferred"
    ENDED = "ended"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    CANCELED = "canceled"
    VOICEMAIL = "voicemail"
    RECORDING_AVAILABLE = "recording_available"
    TRANSCRIPT_AVAILABLE = "transcript_available"


class VoiceFacts(_Frozen):
    """One event of a call; the case service folds a call's events into one record."""

    call_id: str
    status: str = Field(description="A CallStatus value.")
    duration_seconds: int | None = Field(default=None, ge=0)
    recording_url: str | None = None
    transcript: str | None = None
    ivr_path: tuple[str, ...] = ()
    recording_id: str | None = None
    recording_duration_seconds: int | None = Field(default=None, ge=0)
    agent_id: str | None = None
    transfer_target: str | None = None
    caller_withheld: bool = False


class EmailAddress(_Frozen):
    address: str = Field(description="Lower-cased addr-spec.")
    name: str | None = Field(default=None, max_length=200)


class ThreadMatch(StrEnum):
    """How an email found its conversation (so a threading decision can be explained)."""

    NEW = "new"
    REPLY = "reply"
    CASE_TOKEN = "case_token"  # noqa: S105 - a subject token, not a secret
    FORWARD = "forward"
    REDELIVERY = "redelivery"


class EmailFacts(_Frozen):
    """What an email says beyond its content: ids, recipients, quoting and its class."""

    message_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    sender: EmailAddress
    to: tuple[EmailAddress, ...] = ()
    cc: tuple[EmailAddress, ...] = ()
    reply_to: tuple[EmailAddress, ...] = ()
    quoted_text: str | None = Field(
        default=None, description="The quoted history below (or above) the new text."
    )
    raw_blob_id: str | None = Field(default=None, description="The raw message, by reference.")
    thread_match: ThreadMatch = ThreadMatch.NEW
    related_conversation_key: str | None = Field(
        default=None, description="The conversation a forward came from."
    )
    auto_submitted: str | None = Field(default=None, description="Why it counts as automatic.")
    bounced_recipients: tuple[str, ...] = ()
    bounce_status: str | None = None
    sent_by_staff: bool = Field(
        default=False, description="A colleague answered from their own mail client."
    )
    sender_authenticated: bool = Field(
        default=False,
        description="A relay the tenant trusts vouched for the From address (DMARC, DKIM, SPF).",
    )
    unauthenticated_staff_claim: bool = Field(
        default=False,
        description="From a staff address but unproven: kept as a customer's mail, flagged.",
    )


class RoutingHints(_Frozen):
    needs_human: bool = Field(default=True, description="False for auto-replies and statuses.")
    cancels_work: bool = Field(
        default=False,
        description="The customer left (hung up, closed the chat): cancel waiting work.",
    )
    answered_by: str | None = Field(
        default=None,
        description="An agent answered the conversation, perhaps outside our router (the "
        "provider's own ACD): waiting work is settled as answered, not abandoned.",
    )
    skills: tuple[str, ...] = ()
    priority: int = Field(default=0, ge=0, le=100)
    language: str | None = None


class Interaction(_Frozen):
    """A message, call or status from a customer or to one, normalised across channels."""

    channel: Channel
    direction: Direction
    kind: InteractionKind = InteractionKind.MESSAGE
    provider: str = Field(description="e.g. smtp, webchat, line, twilio.")
    provider_message_id: str | None = None
    provider_ids: dict[str, str] = Field(default_factory=dict)
    conversation_key: str = Field(
        min_length=1, description="Email thread root, chat session, LINE user or call id."
    )
    parties: tuple[Party, ...] = ()
    content: Content | None = None
    voice: VoiceFacts | None = None
    email: EmailFacts | None = None
    reply_to: Identity | None = Field(
        default=None, description="Where answers go, when not the customer's own identity."
    )
    routing_hints: RoutingHints = Field(default_factory=RoutingHints)
    parse_defects: tuple[str, ...] = ()
    provider_time: datetime | None = Field(
        default=None,
        description="The event's time as the provider stated it. The envelope's "
        "occurred_at is this when plausible, else when we received the event.",
    )

    def customer(self) -> Party | None:
        """Return the customer party, if the interaction names one."""
        return next((p for p in self.parties if p.role is PartyRole.CUSTOMER), None)
