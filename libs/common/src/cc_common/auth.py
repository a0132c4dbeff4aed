"""Bearer JWTs for the agent, supervisor and integration APIs: issue and verify."""

from __future__ import annotations

import time
from collections.abc import Iterable

import jwt

from cc_common.principals import Principal, Role
from cc_common.settings import AuthSettings

__all__ = ["ALGORITHM", "InvalidToken", "Principal", "Role", "issue_token", "verify_token"]

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not ours."""


def issue_token(
    settings: AuthSettings,
    *,
    subject: str,
    tenant_id: str,
    roles: Iterable[Role],
    ttl_seconds: int = 8 * 3600,
) -> str:
    """Sign a token (the embedded stack's dev tokens, and tests)."""
    now = int(time.time())
    claims = {
        "sub": subject,
        "tenant_id": tenant_id,
        "roles": sorted(r.value for r in roles),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def verify_token(settings: AuthSettings, token: str) -> Principal:
    """Check signature, issuer, audience and expiry; return the principal.

    The current key and, during a rotation, the previous ones are accepted.
    """
    keys = [settings.jwt_secret, *settings.jwt_previous_secrets]
    claims: dict[str, object] | None = None
    error: jwt.PyJWTError | None = None
    for key in keys:
        try:
            claims = jwt.decode(
                token,
                key.get_secret_value(),
                algorithms=[ALGORITHM],
                audience=settings.jwt_audience,
                issuer=settings.jwt_issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
            break
        except jwt.InvalidSignatureError as exc:
            error = exc  # maybe signed with another key of the rotation
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
    if claims is None:
        raise InvalidToken(str(error))
    tenant_id = claims.get("tenant_id")
    roles = claims.get("roles")
    if not isinstance(tenant_id, str) or not isinstance(roles, list):
        raise InvalidToken("token lacks tenant_id or roles")
    try:
        parsed = frozenset(Role(r) for r in roles)
    except ValueError as exc:
        raise InvalidToken(f"unknown role in token: {exc}") from exc
    expires_at = claims["exp"]
    return Principal(
        subject=str(claims["sub"]),
        tenant_id=tenant_id,
        roles=parsed,
        expires_at=float(expires_at) if isinstance(expires_at, int | float) else None,
    )
