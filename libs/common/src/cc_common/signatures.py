"""Webhook signature schemes of the providers, checked in constant time (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping


def same_secret(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time equality for a signature or token from a request. Text is compared
    as UTF-8 bytes: ``hmac.compare_digest`` raises on non-ASCII text, which a forged
    header may hold (that was a 500 where a 401 belongs)."""
    if isinstance(given, str):
        given = given.encode("utf-8", "surrogateescape")
    if isinstance(expected, str):
        expected = expected.encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, expected)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL and the sorted form fields."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_twilio_signature(
    auth_tokens: Iterable[str], url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """True when ``signature`` matches under one of the tokens (current or previous)."""
    if not signature:
        return False
    return any(
        same_secret(signature, twilio_signature(token, url, params)) for token in auth_tokens
    )
