"""The one mapping from the case service's domain errors to problem responses."""

from __future__ import annotations

from fastapi import FastAPI

from case_service.domain.errors import Invalid, Malformed, NotFound, Refused, StaleVersion
from cc_common.http.problems import register_problem

DOMAIN_PROBLEMS: tuple[tuple[type[Exception], int, str], ...] = (
    (Malformed, 400, "malformed"),
    (NotFound, 404, "not-found"),
    (Refused, 409, "refused"),
    (StaleVersion, 412, "stale-version"),
    (Invalid, 422, "invalid"),
)


def install_domain_problems(app: FastAPI) -> None:
    """Answer every domain error with its status; its message is the detail."""
    for error, status, problem in DOMAIN_PROBLEMS:
        register_problem(app, error, status, problem=problem)
