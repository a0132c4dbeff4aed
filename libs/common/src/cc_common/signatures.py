"""Webhook signature schemes of the providers, checked in constant time (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping


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
        hmac.compare_digest(twilio_signature(token, url, params), signature)
        for token in auth_tokens
    )
