"""schemathesis against every service's OpenAPI document, over HTTP: whatever the
generated request, no 5xx, and every error is an RFC 9457 problem body."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from cc_common.auth import Role
from contactcenter_cli.stack import Stack
from tests.e2e.conftest import token

pytestmark = [pytest.mark.e2e]

EXAMPLES_PER_OPERATION = 20


@schemathesis.serializer("message/rfc822")
def _raw_mail(ctx: Any, value: Any) -> bytes:
    """Generated bodies for the raw-MIME upload are sent as they are."""
    return value if isinstance(value, bytes) else str(value).encode()


STREAMS = {("case", "/v1/events")}
"""Endless responses (server-sent events): tests/integration/test_case_live.py covers them."""


@pytest.mark.parametrize(
    "service", ["ingest-chat", "ingest-email", "ingest-voice", "router", "case"]
)
def test_no_server_errors_and_problem_bodies(stack: Stack, service: str) -> None:
    roles = (Role.AGENT, Role.SUPERVISOR, Role.INTEGRATION)
    bearer = {"Authorization": f"Bearer {token(stack, 'fuzz', *roles, subject='fuzzer')}"}
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert operations, f"{service} documents no operation"
    for operation in operations:
        if (service, operation.path) in STREAMS:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            response = case.call(headers=bearer, timeout=10)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{where}: {response.text[:300]}"
            if response.status_code >= 400:
                content_type = response.headers.get("content-type") or [""]
                content_type = content_type[0] if isinstance(content_type, list) else content_type
                assert content_type.startswith("application/problem+json"), (
                    f"{where} {response.status_code}: {response.text[:200]}"
                )
                assert response.json()["status"] == response.status_code
                assert "Traceback" not in response.text

        check()
