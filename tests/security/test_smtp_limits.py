"""SMTP limits (issue "Nothing forged", finding 6): one message may not name 10,000
recipients; past the hundredth the server answers 452 (send the rest separately)."""

from __future__ import annotations

import aiosmtplib
import pytest

from ingest_email.smtp import MAX_RECIPIENTS
from tests.integration.test_email_intake import Email

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_recipients_past_the_cap_get_452(email: Email) -> None:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=email.settings.smtp_port)
    await client.connect()
    try:
        await client.mail("a@example.org")
        codes = []
        for _ in range(MAX_RECIPIENTS + 5):
            try:
                codes.append((await client.rcpt("support@acme.example")).code)
            except aiosmtplib.SMTPRecipientRefused as refused:
                codes.append(refused.code)
        assert codes == [250] * MAX_RECIPIENTS + [452] * 5
    finally:
        await client.quit()
