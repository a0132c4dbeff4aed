"""Is the sender who the ``From:`` says? Read from a trusted relay's
``Authentication-Results`` (RFC 8601), parsed with ``authres`` (pure).

Anyone can write any ``From:``. Mail is classified as a colleague's reply, and its
sender's address counts as verified, only when a relay the tenant trusts (its MX, SES,
SendGrid or Mailgun inbound, named by authserv-id in ``trusted_authserv_ids``) says
so: DMARC passed for the From domain, or DKIM or SPF passed for a domain aligned with
it (the same, or one a subdomain of the other). The topmost header with a trusted id
is the one read: a relay adds its own above the message, and RFC 8601 has it delete
headers that claim its id from below, so a sender cannot forge it. Trust a relay only
when it is the one way in (with mail arriving straight to our SMTP door, any header
could be the sender's own: trust none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import authres
import authres.core


@dataclass(frozen=True, slots=True)
class SenderCheck:
    authenticated: bool
    reason: str
    """The method that passed (``dmarc``, ``dkim``, ``spf``), or why none did."""


NO_TRUSTED_RESULTS = SenderCheck(False, "no Authentication-Results from a trusted relay")


def check_sender(
    results_headers: Sequence[str], sender: str, trusted_authserv_ids: Iterable[str]
) -> SenderCheck:
    """What the topmost trusted relay's results say about ``sender`` (an address)."""
    trusted = {t.strip().lower() for t in trusted_authserv_ids if t.strip()}
    if not trusted:
        return NO_TRUSTED_RESULTS
    domain = sender.rpartition("@")[2].lower()
    for value in results_headers:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(value)
        except (authres.core.AuthResError, ValueError, IndexError):
            continue  # unreadable: it proves nothing (a relay's own header parses)
        if str(header.authserv_id).lower() not in trusted:
            continue
        return _judge(header, domain)
    return NO_TRUSTED_RESULTS


def _judge(header: authres.AuthenticationResultsHeader, domain: str) -> SenderCheck:
    for method, names in (
        ("dmarc", ("header.from",)),
        ("dkim", ("header.d", "header.i")),
        ("spf", ("smtp.mailfrom", "smtp.helo")),
    ):
        for result in header.results:
            if str(result.method).lower() != method or str(result.result).lower() != "pass":
                continue
            found = {f"{p.type}.{p.name}".lower(): str(p.value).lower() for p in result.properties}
            claimed = next((found[n] for n in names if n in found), None)
            if claimed is None and method == "dmarc":
                return SenderCheck(True, method)  # DMARC is about the From domain itself
            if claimed is not None and _aligned(claimed.rpartition("@")[2], domain):
                return SenderCheck(True, method)
    return SenderCheck(False, f"the relay's checks did not pass for {domain}")


def _aligned(one: str, other: str) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other."""
    one, other = one.strip(".").lower(), other.strip(".").lower()
    return bool(one) and (one == other or one.endswith("." + other) or other.endswith("." + one))
