"""Signed conversation tokens: a visitor can only ever act in its own conversation."""

from __future__ import annotations

import time

import jwt

from ingest_chat.domain.webchat import VisitorConversation

AUDIENCE = "webchat-visitor"
ALGORITHM = "HS256"


class InvalidVisitorToken(Exception):
    """The conversation token is missing, forged or expired."""


class VisitorTokens:
    def __init__(self, secret: str, *, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds

    def issue(self, conversation: VisitorConversation) -> str:
        """Sign a token naming the conversation and what the visitor told us."""
        now = int(time.time())
        claims = {
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + self._ttl,
            "tenant_id": conversation.tenant_id,
            "conversation_id": conversation.conversation_id,
            "sub": conversation.visitor_id,
            "name": conversation.name,
            "email": conversation.email,
            "phone": conversation.phone,
            "email_verified": conversation.email_verified,
            "phone_verified": conversation.phone_verified,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> VisitorConversation:
        """Return the conversation the token vouches for."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], audience=AUDIENCE)
            return VisitorConversation(
                tenant_id=claims["tenant_id"],
                conversation_id=claims["conversation_id"],
                visitor_id=claims["sub"],
                name=claims.get("name"),
                email=claims.get("email"),
                phone=claims.get("phone"),
                email_verified=bool(claims.get("email_verified")),
                phone_verified=bool(claims.get("phone_verified")),
            )
        except (jwt.PyJWTError, KeyError) as exc:
            raise InvalidVisitorToken(str(exc)) from exc
