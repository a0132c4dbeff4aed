"""SNS signature checks: the signing certificate, fetched from allowed hosts and cached."""

from __future__ import annotations

import time

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ingest_email.domain.sns import SnsMessage, certificate_url_allowed

CACHE_SECONDS = 24 * 3600
_HASH = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}


class SignatureRejected(Exception):
    """The message is not signed by the provider (bad signature, or a foreign certificate)."""


class CertificateUnavailable(Exception):
    """The certificate host did not answer: ask SNS to retry later."""


class SnsVerifier:
    def __init__(self, http: httpx.AsyncClient, *, host_pattern: str, scheme: str) -> None:
        self._http = http
        self._host_pattern = host_pattern
        self._scheme = scheme
        self._cache: dict[str, tuple[float, rsa.RSAPublicKey]] = {}

    async def verify(self, message: SnsMessage) -> None:
        """Raise :class:`SignatureRejected` unless SNS signed ``message``."""
        url = message.certificate_url
        try:
            signature = message.signature
        except ValueError as exc:
            raise SignatureRejected(str(exc)) from exc
        if not certificate_url_allowed(url, host_pattern=self._host_pattern, scheme=self._scheme):
            raise SignatureRejected("the signing certificate is not on an SNS host")
        key = await self._key(url)
        try:
            key.verify(
                signature,
                message.string_to_sign(),
                padding.PKCS1v15(),
                _HASH[message.hash_name](),
            )
        except InvalidSignature as exc:
            raise SignatureRejected("the SNS signature does not match") from exc

    async def _key(self, url: str) -> rsa.RSAPublicKey:
        cached = self._cache.get(url)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await self._http.get(url)
        except httpx.HTTPError as exc:
            raise CertificateUnavailable(f"the certificate host did not answer: {exc!r}") from exc
        if response.status_code >= 500:
            raise CertificateUnavailable(f"the certificate host answered {response.status_code}")
        try:
            response.raise_for_status()
            certificate = x509.load_pem_x509_certificate(response.content)
        except (httpx.HTTPError, ValueError) as exc:
            raise SignatureRejected("the signing certificate could not be read") from exc
        now = time.time()
        if not (
            certificate.not_valid_before_utc.timestamp()
            <= now
            <= certificate.not_valid_after_utc.timestamp()
        ):
            raise SignatureRejected("the signing certificate is not valid now")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureRejected("the signing certificate has no RSA key")
        self._cache[url] = (time.monotonic() + CACHE_SECONDS, key)
        return key
