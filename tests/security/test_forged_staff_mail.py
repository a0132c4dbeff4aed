"""Forged staff mail (issue "Nothing forged", finding 2): a message whose From: is a
staff address was recorded as our own outbound reply. A colleague's reply is
recognised only when a relay the tenant trusts vouches for the sender; otherwise the
mail is kept as a customer's, inbound and flagged, and its address stays unverified."""

from __future__ import annotations

import pytest

from cc_common.events import Direction
from ingest_email.domain.sender_auth import check_sender
from tests.integration.email_fixtures import TRUSTED_RELAY
from tests.integration.test_email_intake import Email, customer_address, facts, mail

# The verdict rules at the end are pure: only the mail tests run on the broker and loop.
ON_THE_LOOP = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(
    "results",
    [
        None,  # no verdict at all
        f"{TRUSTED_RELAY}; dkim=fail header.d=acme.example; spf=softfail",  # the relay refused
        f"{TRUSTED_RELAY}; dkim=pass header.d=evil.example",  # signed, by someone else
        "mx.evil.example; dmarc=pass header.from=acme.example",  # an untrusted relay's word
    ],
    ids=["none", "failed", "unaligned", "untrusted-relay"],
)
@pytest.mark.integration
@ON_THE_LOOP
async def test_an_unproven_staff_sender_is_kept_as_a_flagged_customer_mail(
    email: Email, results: str | None
) -> None:
    forged = mail(sender="Alice <alice@acme.example>", subject="Re: Invoice problem")
    forged.replace_header("To", "sam@example.org")
    forged["Cc"] = "support@acme.example"
    if results:
        forged["Authentication-Results"] = results
    await email.send(forged)
    event = await email.published(forged["Message-ID"])
    assert event.data.direction is Direction.INBOUND
    assert not facts(event).sent_by_staff
    assert facts(event).unauthenticated_staff_claim
    assert customer_address(event) == "alice@acme.example"
    customer = event.data.customer()
    assert customer is not None
    assert not customer.identities[0].verified


@pytest.mark.integration
@ON_THE_LOOP
async def test_a_proven_customer_sender_is_a_verified_identity(email: Email) -> None:
    signed = mail()
    signed["Authentication-Results"] = f"{TRUSTED_RELAY}; dmarc=pass header.from=example.org"
    await email.send(signed)
    event = await email.published(signed["Message-ID"])
    customer = event.data.customer()
    assert customer is not None
    assert customer.identities[0].verified
    assert facts(event).sender_authenticated


@pytest.mark.parametrize(
    ("headers", "sender", "proven"),
    [
        ([f"{TRUSTED_RELAY}; dmarc=pass header.from=acme.example"], "a@acme.example", True),
        ([f"{TRUSTED_RELAY}; dkim=pass header.d=mail.acme.example"], "a@acme.example", True),
        ([f"{TRUSTED_RELAY}; spf=pass smtp.mailfrom=b@acme.example"], "a@acme.example", True),
        ([f"{TRUSTED_RELAY}; spf=pass smtp.mailfrom=b@evil.example"], "a@acme.example", False),
        # The topmost trusted header is the relay's own; one below it is the sender's.
        (
            [
                f"{TRUSTED_RELAY}; dkim=fail header.d=acme.example",
                f"{TRUSTED_RELAY}; dmarc=pass header.from=acme.example",
            ],
            "a@acme.example",
            False,
        ),
        (["not a header ;;"], "a@acme.example", False),
    ],
)
def test_the_verdict_is_the_topmost_trusted_relays(
    headers: list[str], sender: str, proven: bool
) -> None:
    assert check_sender(headers, sender, [TRUSTED_RELAY]).authenticated is proven
    assert not check_sender(headers, sender, []).authenticated  # trust no relay: no proof
