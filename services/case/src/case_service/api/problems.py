"""The one mapping from the case service's domain errors to problem responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from case_service.domain.errors import (
    DraftHeld,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    Refused,
    StaleVersion,
    TooLarge,
)
from cc_common.http.problems import problem_response, register_problem

DOMAIN_PROBLEMS: tuple[tuple[type[Exception], int, str], ...] = (
    (Malformed, 400, "malformed"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not-found"),
    (Refused, 409, "refused"),
    (StaleVersion, 412, "stale-version"),
    (Invalid, 422, "invalid"),
)


def install_domain_problems(app: FastAPI) -> None:
    """Answer every domain error with its status; its message is the detail."""
    for error, status, problem in DOMAIN_PROBLEMS:
        register_problem(app, error, status, problem=problem)
    app.add_exception_handler(TooLarge, _too_large)
    app.add_exception_handler(DraftHeld, _draft_held)


async def _draft_held(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DraftHeld)
    return problem_response(
        409, detail=str(exc), problem="draft-held", instance=request.url.path, holders=exc.holders
    )


async def _too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TooLarge)
    return problem_response(
        422,
        detail=str(exc),
        problem="too-large",
        instance=request.url.path,
        size_bytes=exc.size_bytes,
        limit_bytes=exc.limit_bytes,
    )
