"""A Twilio webhook's form, read only after its ``X-Twilio-Signature`` checks out."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl

from fastapi import HTTPException
from pydantic import SecretStr
from starlette.requests import Request

from cc_common.http.public_url import public_url
from cc_common.metrics import SIGNATURE_FAILURES
from cc_common.signatures import valid_twilio_signature


async def verified_twilio_form(
    request: Request,
    auth_tokens: Sequence[SecretStr],
    *,
    public_base_url: str | None,
    provider: str,
) -> dict[str, str]:
    """The form fields, or 401 (counted per provider) when no auth token signed them."""
    body = (await request.body()).decode("utf-8", "replace")
    fields = dict(parse_qsl(body, keep_blank_values=True))
    url = public_url(request, public_base_url)
    tokens = [t.get_secret_value() for t in auth_tokens]
    if not valid_twilio_signature(tokens, url, fields, request.headers.get("x-twilio-signature")):
        SIGNATURE_FAILURES.labels(provider).inc()
        raise HTTPException(401, "The X-Twilio-Signature does not match this request.")
    return fields
