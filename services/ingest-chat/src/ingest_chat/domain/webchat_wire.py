"""What the web-chat widget sends over its WebSocket, validated (pure)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SendMessage(_Frame):
    type: Literal["message"]
    client_message_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    text: str = Field(min_length=1, max_length=10_000)


class Resume(_Frame):
    type: Literal["resume"]
    after_seq: int = Field(ge=0)


class Read(_Frame):
    type: Literal["read"]
    reply_id: str = Field(min_length=1, max_length=64)


class Typing(_Frame):
    type: Literal["typing"]
    active: bool = True
    """False: the visitor stopped typing (or cleared the box)."""


Frame = Annotated[SendMessage | Resume | Read | Typing, Field(discriminator="type")]
FRAMES: TypeAdapter[SendMessage | Resume | Read | Typing] = TypeAdapter(Frame)
