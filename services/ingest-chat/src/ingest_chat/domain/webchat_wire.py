"""What the web-chat widget sends over its WebSocket, validated, and the agents'
messages it receives (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

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


@dataclass(frozen=True, slots=True)
class AgentMessage:
    reply_id: str
    seq: int
    text: str
    agent: str
    at: datetime

    def wire(self) -> dict[str, Any]:
        """The message as the widget receives it."""
        return {
            "type": "agent_message",
            "seq": self.seq,
            "reply_id": self.reply_id,
            "text": self.text,
            "agent": self.agent,
            "at": self.at.isoformat(),
        }
