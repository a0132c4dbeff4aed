"""Visitor-facing web chat: start a conversation, then talk over a WebSocket (or REST).

Messages carry the widget's own ids, so a resend after a dropped connection is the
same event; agents' replies are numbered per conversation, so a visitor who comes
back asks for what came after the last number it saw.
"""

from __future__ import annotations

import contextlib
import math
import uuid
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    UploadFile,
    WebSocket,
)
from fastapi.websockets import WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

from cc_common.events import Channel, ConversationTyping, typing_signal
from cc_common.events.envelope import TENANT_ID_PATTERN, utc_now
from cc_common.http.rate_limit import enforce
from cc_common.kafka.producer import BrokerUnavailable, EventProducer
from cc_common.topics import INTERACTIONS, SIGNALS
from ingest_chat.adapters.agent_messages import AgentMessages
from ingest_chat.adapters.live import LiveConnections
from ingest_chat.adapters.visitor_files import VisitorFiles
from ingest_chat.adapters.visitor_tokens import InvalidVisitorToken, VisitorTokens
from ingest_chat.domain.webchat import (
    VisitorConversation,
    visitor_left,
    visitor_message,
    visitor_read,
)
from ingest_chat.domain.webchat_sites import Refused, admit, check_origin
from ingest_chat.domain.webchat_wire import FRAMES, Read, Resume, SendMessage, Typing
from ingest_chat.settings import ChatSettings

router = APIRouter(prefix="/v1/webchat", tags=["web chat"])
SOURCE = "ingest-chat"
PROTOCOL = "cc.webchat.v1"
PROTOCOL_TOKEN_PREFIX = "cc.token."  # noqa: S105 (a prefix, not a secret)
"""The WebSocket subprotocol that carries the conversation token starts so."""


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    widget_key: str | None = Field(
        default=None, max_length=128, description="The tenant's widget key for this site."
    )
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+[1-9][0-9]{6,14}$")


class ConversationRead(BaseModel):
    conversation_id: str
    visitor_id: str
    token: str


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_message_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    text: str = Field(min_length=1, max_length=10_000)


class MessageAccepted(BaseModel):
    event_id: uuid.UUID
    conversation_id: str


def _tokens(request: Request) -> VisitorTokens:
    tokens: VisitorTokens = request.app.state.visitor_tokens
    return tokens


def _producer(request: Request) -> EventProducer:
    producer: EventProducer = request.app.state.runtime.producer
    return producer


TokensDep = Annotated[VisitorTokens, Depends(_tokens)]
ProducerDep = Annotated[EventProducer, Depends(_producer)]


def _conversation(
    tokens: TokensDep, authorization: Annotated[str | None, Header()] = None
) -> VisitorConversation:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "A conversation token is required.")
    try:
        return tokens.verify(token)
    except InvalidVisitorToken as exc:
        raise HTTPException(401, "The conversation token is invalid or expired.") from exc


ConversationDep = Annotated[VisitorConversation, Depends(_conversation)]


@router.post("/conversations", status_code=201)
async def start_conversation(
    body: ConversationCreate, tokens: TokensDep, request: Request
) -> ConversationRead:
    """Start a conversation; the token authorises the visitor's later messages."""
    enforce(request.app.state.ip_limit, _host(request.client))
    settings: ChatSettings = request.app.state.settings
    try:
        admit(
            settings.webchat_sites,
            body.tenant_id,
            body.widget_key,
            request.headers.get("origin"),
            open_to_all=settings.webchat_open,
        )
    except Refused as refused:
        raise HTTPException(refused.status, refused.detail) from refused
    conversation = VisitorConversation(
        tenant_id=body.tenant_id,
        conversation_id=str(uuid.uuid4()),
        visitor_id=str(uuid.uuid4()),
        name=body.name,
        email=str(body.email) if body.email else None,
        phone=body.phone,
    )
    # The email is a claim until verified (webchat_verification.py): no email from us
    # goes to it before that, so nobody can make us mail someone else's address.
    return ConversationRead(
        conversation_id=conversation.conversation_id,
        visitor_id=conversation.visitor_id,
        token=tokens.issue(conversation),
    )


@router.post("/conversations/current/close", status_code=202)
async def close_conversation(
    conversation: ConversationDep, producer: ProducerDep
) -> MessageAccepted:
    """The visitor leaves: work still waiting for an agent is abandoned."""
    event = visitor_left(conversation, left_at=utc_now())
    await producer.publish(INTERACTIONS.name, event)
    return MessageAccepted(event_id=event.id, conversation_id=conversation.conversation_id)


@router.post("/messages", status_code=202)
async def send_message(
    body: MessageCreate, conversation: ConversationDep, producer: ProducerDep, request: Request
) -> MessageAccepted:
    """Accept a visitor message once the broker has it; a resend is the same event."""
    enforce(request.app.state.visitor_limit, conversation.visitor_id)
    enforce(request.app.state.ip_message_limit, _host(request.client))
    event = visitor_message(
        conversation, client_message_id=body.client_message_id, text=body.text, sent_at=utc_now()
    )
    await producer.publish(INTERACTIONS.name, event)
    return MessageAccepted(event_id=event.id, conversation_id=conversation.conversation_id)


class TypingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool = True


@router.post("/typing", status_code=204)
async def typing(body: TypingUpdate, conversation: ConversationDep, request: Request) -> None:
    """The visitor is typing (or stopped): shown to the agent handling the conversation.
    The WebSocket's ``{"type": "typing", "active": ...}`` frame does the same."""
    await _announce_typing(request.app, conversation, active=body.active)


class FileAccepted(MessageAccepted):
    blob_id: str
    size: int


@router.post("/files", status_code=202)
async def upload_file(
    conversation: ConversationDep,
    producer: ProducerDep,
    request: Request,
    file: UploadFile,
    client_message_id: Annotated[
        str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    ],
) -> FileAccepted:
    """A file from the visitor: stored by reference, sent as a message with an attachment."""
    enforce(request.app.state.visitor_limit, conversation.visitor_id)
    enforce(request.app.state.ip_message_limit, _host(request.client))
    limit: int = request.app.state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"Files are limited to {limit} bytes.")
    if not data:
        raise HTTPException(422, "The file is empty.")
    files: VisitorFiles = request.app.state.visitor_files
    attachment = await files.put(
        conversation.tenant_id,
        data,
        filename=(file.filename or "file")[:200],
        content_type=file.content_type or "application/octet-stream",
    )
    event = visitor_message(
        conversation,
        client_message_id=client_message_id,
        text=f"[file] {attachment.filename}",
        sent_at=utc_now(),
        attachments=(attachment,),
    )
    await producer.publish(INTERACTIONS.name, event)
    return FileAccepted(
        event_id=event.id,
        conversation_id=conversation.conversation_id,
        blob_id=attachment.blob_id,
        size=attachment.size,
    )


class AgentMessageRead(BaseModel):
    seq: int
    reply_id: str
    text: str
    agent: str
    at: str


@router.get("/messages")
async def agent_messages_since(
    conversation: ConversationDep,
    request: Request,
    after_seq: Annotated[int, Query(ge=0)] = 0,
) -> list[AgentMessageRead]:
    """Agents' messages after ``after_seq`` (the REST fallback of the WebSocket)."""
    messages: AgentMessages = request.app.state.agent_messages
    found = await messages.since(conversation.tenant_id, conversation.conversation_id, after_seq)
    if found:
        await messages.mark_seen(
            conversation.tenant_id, conversation.conversation_id, max(m.seq for m in found)
        )
    return [AgentMessageRead(**{k: v for k, v in m.wire().items() if k != "type"}) for m in found]


@router.websocket("/ws")
async def chat_socket(websocket: WebSocket) -> None:
    """The widget's live channel: send messages, receive agents' replies, resume, receipts.

    Authenticated by the conversation token, offered as the subprotocol
    ``cc.token.<token>`` beside ``cc.webchat.v1`` (browsers cannot set headers on a
    WebSocket, and a token in the URL ends up in access logs and proxies); a visitor
    only ever joins its own conversation. Every frame counts against the visitor's
    frame budget; text frames only.
    """
    app = websocket.app
    offered: list[str] = websocket.scope.get("subprotocols", [])
    tokens = [p.removeprefix(PROTOCOL_TOKEN_PREFIX) for p in offered]
    token = next((t for t, p in zip(tokens, offered, strict=True) if t != p), "")
    try:
        conversation = app.state.visitor_tokens.verify(token)
    except InvalidVisitorToken:
        await websocket.close(code=4401, reason="invalid conversation token")
        return
    settings: ChatSettings = app.state.settings
    try:  # another site's page holding our visitor's socket (cross-site hijacking)
        site = settings.webchat_sites.get(conversation.tenant_id)
        check_origin(site, websocket.headers.get("origin"))
    except Refused:
        await websocket.close(code=4403, reason="the widget may not run on this site")
        return
    await websocket.accept(subprotocol=PROTOCOL)
    live: LiveConnections = app.state.live
    live.add(conversation.conversation_id, websocket)
    try:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                break
            wait = app.state.frame_limit.allow(conversation.visitor_id)
            if wait:
                await websocket.send_json(
                    {"type": "error", "detail": "rate limited", "retry_after": math.ceil(wait)}
                )
                continue
            if received.get("text") is None:
                await websocket.send_json({"type": "error", "detail": "send text frames (JSON)"})
                continue
            try:
                frame = FRAMES.validate_json(received["text"])
            except ValidationError as exc:
                await websocket.send_json({"type": "error", "detail": _first_problem(exc)})
                continue
            await _handle(websocket, conversation, frame)
    except WebSocketDisconnect:
        pass
    finally:
        live.remove(conversation.conversation_id, websocket)


async def _handle(websocket: WebSocket, conversation: VisitorConversation, frame: Any) -> None:
    app = websocket.app
    producer: EventProducer = app.state.runtime.producer
    if isinstance(frame, SendMessage):
        wait = app.state.visitor_limit.allow(conversation.visitor_id) or (
            app.state.ip_message_limit.allow(_host(websocket.client))
        )
        if wait:
            await websocket.send_json(
                {
                    "type": "error",
                    "detail": "rate limited",
                    "retry_after": math.ceil(wait),
                    "client_message_id": frame.client_message_id,
                }
            )
            return
        event = visitor_message(
            conversation,
            client_message_id=frame.client_message_id,
            text=frame.text,
            sent_at=utc_now(),
        )
        try:
            await producer.publish(INTERACTIONS.name, event)
        except BrokerUnavailable:
            # Not acknowledged: the widget resends with the same client message id.
            await websocket.send_json(
                {
                    "type": "error",
                    "detail": "temporarily unavailable",
                    "retry": True,
                    "client_message_id": frame.client_message_id,
                }
            )
            return
        await websocket.send_json(
            {"type": "ack", "client_message_id": frame.client_message_id, "event_id": str(event.id)}
        )
    elif isinstance(frame, Resume):
        messages: AgentMessages = app.state.agent_messages
        live: LiveConnections = app.state.live
        missed = await messages.since(
            conversation.tenant_id, conversation.conversation_id, frame.after_seq
        )
        if missed and await live.push_messages(
            conversation.conversation_id, missed, only=websocket
        ):
            await messages.mark_seen(
                conversation.tenant_id, conversation.conversation_id, max(m.seq for m in missed)
            )
    elif isinstance(frame, Read):
        messages = app.state.agent_messages
        if not await messages.mark_read(
            conversation.tenant_id, conversation.conversation_id, frame.reply_id
        ):
            return  # another conversation's message, or read already: nothing to tell
        with contextlib.suppress(BrokerUnavailable):  # a lost receipt is not worth an error
            await producer.publish(
                INTERACTIONS.name,
                visitor_read(conversation, reply_id=frame.reply_id, read_at=utc_now()),
            )
    elif isinstance(frame, Typing):
        await _announce_typing(app, conversation, active=frame.active)


async def _announce_typing(app: Any, conversation: VisitorConversation, *, active: bool) -> None:
    """Tell the agents (through ``cc.signals.v1``); throttled (started and stopped each
    once every two seconds a conversation), and best effort."""
    if app.state.typing_limit.allow(f"{conversation.conversation_id}|{active}"):
        return
    signal = typing_signal(
        conversation.tenant_id,
        ConversationTyping(
            conversation_key=f"webchat:{conversation.conversation_id}",
            channel=Channel.WEBCHAT,
            party="customer",
            active=active,
        ),
        source=SOURCE,
    )
    with contextlib.suppress(BrokerUnavailable):  # a typing dot is not worth an error
        await app.state.runtime.producer.publish(SIGNALS.name, signal)


def _host(client: Any) -> str:
    """The caller's address (the per-address budgets' key)."""
    return str(client.host) if client is not None else "unknown"


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in error["loc"]) or "frame"
    return f"{where}: {error['msg']}"
