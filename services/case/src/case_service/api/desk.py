"""The agent desk (``/desk/``: static ES modules, see docs/adr/0007) and, in development
only, the sign-in that gives it a token.

The desk calls the public API like any client; nothing here reads data."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response
from starlette.types import Scope

from cc_common.auth import Role, issue_token
from cc_common.settings import AuthSettings

DESK_FILES = Path(__file__).resolve().parent.parent / "desk"
SIGN_IN_SECONDS = 8 * 3600

DESK_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; frame-src 'self'; media-src https:; base-uri 'none';"
        " form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
"""No inline script or style, nothing from elsewhere but call recordings (played from
the provider only when the agent presses play), never framed; customers' content is
rendered as text (and mail HTML, when shown, only in a sandboxed frame, which inherits
this policy: a mail's remote images and scripts never load)."""


class DeskFiles(StaticFiles):
    """Static files with the desk's security headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(DESK_HEADERS)
        return response


def mount_desk(app: FastAPI) -> None:
    """Serve the desk at ``/desk/``."""

    @app.get("/desk", include_in_schema=False)
    async def desk_root() -> RedirectResponse:
        return RedirectResponse("/desk/", status_code=308)

    app.mount("/desk/", DeskFiles(directory=DESK_FILES, html=True), name="desk")


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field(default="demo", pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    agent_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Literal["agent", "supervisor"] = "agent"


class SignedIn(BaseModel):
    token: str
    expires_in: int
    tenant_id: str
    agent_id: str
    role: str


def build_dev_sign_in(auth: AuthSettings) -> APIRouter:
    """``POST /v1/dev/sign-in``: a token for anyone who asks. Only mounted when
    ``CASE_DEV_SIGN_IN`` is on (the local stack); production issues the same JWTs from
    its single sign-on."""
    router = APIRouter(prefix="/v1/dev", tags=["development"])

    @router.post("/sign-in")
    async def sign_in(body: SignIn) -> SignedIn:
        """Development only: a bearer token for an agent or supervisor of a tenant."""
        token = issue_token(
            auth,
            subject=body.agent_id,
            tenant_id=body.tenant_id,
            roles=[Role(body.role)],
            ttl_seconds=SIGN_IN_SECONDS,
        )
        return SignedIn(
            token=token,
            expires_in=SIGN_IN_SECONDS,
            tenant_id=body.tenant_id,
            agent_id=body.agent_id,
            role=body.role,
        )

    return router
