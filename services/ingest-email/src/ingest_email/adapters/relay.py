"""Sending mail through the configured SMTP relay (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from ingest_email.settings import SmtpRelay


class PermanentSendFailure(Exception):
    """The relay refused the message for good (5xx): retrying cannot help."""


class TemporarySendFailure(Exception):
    """The relay is unreachable or said 4xx: retry with backoff."""


class Relay:
    def __init__(self, config: SmtpRelay) -> None:
        self._config = config

    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the relay, classifying failures as permanent or temporary."""
        config = self._config
        try:
            errors, _ = await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                start_tls=config.starttls,
                use_tls=config.use_tls,
                username=config.username,
                password=config.password.get_secret_value() if config.password else None,
                timeout=config.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if codes and all(code >= 500 for code in codes):
                raise PermanentSendFailure(_describe(exc.recipients[0])) from exc
            raise TemporarySendFailure(str(exc)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise PermanentSendFailure(f"{exc.code} {exc.message}") from exc
            raise TemporarySendFailure(f"{exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TemporarySendFailure(repr(exc)) from exc
        refused = {k: v for k, v in errors.items() if v.code >= 400}
        if refused:
            address, response = next(iter(refused.items()))
            text = f"{address}: {response.code} {response.message}"
            if response.code >= 500:
                raise PermanentSendFailure(text)
            raise TemporarySendFailure(text)


def _describe(refusal: aiosmtplib.SMTPRecipientRefused) -> str:
    return f"{refusal.recipient}: {refusal.code} {refusal.message}"
