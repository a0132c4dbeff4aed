"""How each mail provider proves a webhook came from it (pure).

Mailgun signs ``timestamp + token`` with HMAC-SHA256 and the webhook signing key;
SendGrid's parse security policy signs ``timestamp + body`` with ECDSA P-256;
SendGrid without a policy and Postmark authenticate with the basic-auth
credentials put in the webhook URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from cc_common.signatures import same_secret

FRESHNESS_SECONDS = 300


def mailgun_signature_valid(
    keys: Sequence[str], *, timestamp: str, token: str, signature: str, now: float | None = None
) -> bool:
    """True when one of the keys signed ``timestamp + token`` within the last five minutes."""
    try:
        age = (now if now is not None else time.time()) - float(timestamp)
    except ValueError:
        return False
    if abs(age) > FRESHNESS_SECONDS:
        return False
    message = f"{timestamp}{token}".encode()
    return any(
        same_secret(signature, hmac.new(k.encode(), message, hashlib.sha256).hexdigest())
        for k in keys
    )


def ecdsa_signature_valid(
    public_keys: Sequence[str], *, timestamp: str, body: bytes, signature: str
) -> bool:
    """SendGrid's signature: ECDSA over ``timestamp + body``, base64 DER in the header."""
    try:
        signature_der = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    for text in public_keys:
        key = _ec_key(text)
        if key is None:
            continue
        try:
            key.verify(signature_der, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
            return True
        except InvalidSignature:
            continue
    return False


def _ec_key(text: str) -> ec.EllipticCurvePublicKey | None:
    try:
        if "BEGIN PUBLIC KEY" in text:
            key = load_pem_public_key(text.encode())
        else:
            key = load_der_public_key(base64.b64decode(text))
    except (ValueError, binascii.Error):
        return None
    return key if isinstance(key, ec.EllipticCurvePublicKey) else None


def basic_auth_valid(credentials: Sequence[str], authorization: str | None) -> bool:
    """True when the Authorization header carries one of the configured user:password pairs."""
    if not authorization or not authorization.lower().startswith("basic "):
        return False
    try:
        given = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return any(same_secret(given, c) for c in credentials)


class ReplayGuard:
    """Remembers recent webhook tokens so a captured request cannot be replayed.

    In memory per instance: a replay to another instance is still refused by the
    timestamp window and, for the message itself, by Message-ID deduplication.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def seen_before(self, token: str) -> bool:
        return token in self._seen

    def remember(self, token: str) -> None:
        """Called once the request's message is durable (a failed attempt may be retried)."""
        self._seen[token] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
