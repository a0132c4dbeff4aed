"""FastAPI dependencies that turn a bearer token into a principal, or a 401/403."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cc_common.auth import InvalidToken, Principal, Role, verify_token
from cc_common.http.rate_limit import RateLimiter, enforce
from cc_common.settings import AuthSettings

_bearer = HTTPBearer(auto_error=False, description="A JWT issued for one tenant.")


def principal_dependency(
    settings: AuthSettings, *, roles: frozenset[Role]
) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and requires one of ``roles``."""

    async def authenticate(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Principal:
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None:
            raise HTTPException(401, "A bearer token is required.", headers=challenge)
        try:
            principal = verify_token(settings, credentials.credentials)
        except InvalidToken as exc:
            raise HTTPException(401, f"Invalid token: {exc}", headers=challenge) from exc
        if not principal.has_any(roles):
            wanted = ", ".join(sorted(r.value for r in roles))
            raise HTTPException(403, f"This operation needs one of the roles: {wanted}.")
        request.state.principal = principal
        enforce(_limiter(request, settings), f"{principal.tenant_id}/{principal.subject}")
        return principal

    return authenticate


def _limiter(request: Request, settings: AuthSettings) -> RateLimiter:
    """One limiter per application, shared by every route's dependency: a runaway
    script holding one token cannot starve the colleagues of its tenant."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "principal_limiter", None)
    if limiter is None:
        limiter = state.principal_limiter = RateLimiter(
            rate=settings.principal_requests_per_second, burst=settings.principal_burst
        )
    return limiter
