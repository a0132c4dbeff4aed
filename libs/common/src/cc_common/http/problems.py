"""RFC 9457 problem-details responses: one place maps every error to a JSON body."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cc_common.logging import get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://contactcenter.dev/problems/"


def problem_response(
    status: int,
    *,
    detail: str | None = None,
    title: str | None = None,
    problem: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """Build an ``application/problem+json`` response."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (problem or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def register_problem(
    app: FastAPI,
    exc_type: type[Exception],
    status: int,
    *,
    problem: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer ``exc_type`` (a domain error) with ``status``; its message is the detail."""

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(
            status, detail=str(exc), problem=problem, headers=headers, instance=request.url.path
        )

    app.add_exception_handler(exc_type, handler)


def install_problem_handlers(app: FastAPI) -> None:
    """Map framework errors and anything unexpected to problem bodies, never a stack trace."""

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            exc.status_code,
            detail=detail,
            headers=dict(exc.headers or {}),
            instance=request.url.path,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return problem_response(
            422,
            detail="The request does not match the documented schema.",
            problem="validation-error",
            errors=errors,
            instance=request.url.path,
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("http.unhandled_error", path=request.url.path, exc_info=exc)
        return problem_response(500, detail="An unexpected error occurred; it has been logged.")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)


ProblemMapper = Callable[[FastAPI], None]
