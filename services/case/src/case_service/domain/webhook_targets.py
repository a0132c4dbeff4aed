"""Where webhooks may go (pure): well-formed https URLs of public hosts.

Server-side request forgery is the risk: a subscription pointing at our own network.
Literal addresses are checked when the subscription is made, in every spelling that
reaches an internal host: IPv4 written as one number or in hex (``2130706433``,
``0x7f.1``), and IPv4 embedded in IPv6 (``[::ffff:127.0.0.1]``, ``[::127.0.0.1]``,
NAT64 ``[64:ff9b::7f00:1]``, 6to4 ``[2002:7f00:1::]``, Teredo). Names are checked when
resolved at delivery, and the delivery connects to the address that was checked, so a
name that resolves differently a moment later (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

from case_service.domain.errors import Invalid

MAX_URL_CHARS = 2048
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(Invalid):
    """The URL is not one we deliver to."""


def check_url(url: str, *, allow_insecure: bool) -> SplitResult:
    """A well-formed https URL (http when allowed, for local development) with no
    credentials, whose host is a public address or a DNS name (any host when insecure
    targets are allowed); its parts."""
    if len(url) > MAX_URL_CHARS:
        raise UnsafeUrl(f"webhook URLs have at most {MAX_URL_CHARS} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise UnsafeUrl("the URL holds spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_insecure and parts.scheme == "http"):
        raise UnsafeUrl("webhook URLs must use https")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("put no credentials in the URL; verify our signature instead")
    try:
        parts.port  # noqa: B018  (parsing it raises for a port out of range)
    except ValueError as exc:
        raise UnsafeUrl("the URL's port is not a number from 1 to 65535") from exc
    if parts.fragment:
        raise UnsafeUrl("the URL has a fragment, which is never sent")
    address = literal_address(parts.hostname)
    if address is None:
        _check_name(parts.hostname, allow_insecure=allow_insecure)
    elif not allow_insecure:
        check_address(address)
    return parts


def literal_address(host: str) -> IPAddress | None:
    """The address a host spells literally, in any notation the resolver accepts."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    return _numeric_ipv4(host)


def _numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """IPv4 as the C resolver's ``inet_aton`` reads it: one to four numbers, decimal,
    octal (leading 0) or hex (0x), the last filling the remaining bytes ("127.1",
    "2130706433", "0x7f.0.0.1" are all 127.0.0.1)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.match(p) for p in parts):
        return None
    values = []
    for part in parts:
        if part[:2].lower() == "0x":
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            try:
                values.append(int(part, 8))
            except ValueError:
                return None
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for value in head:
        number = number * 256 + value
    return ipaddress.IPv4Address(number * 256 ** (4 - len(head)) + last)


def check_address(address: IPAddress | str) -> None:
    """Refuse an address that is not public, itself or the IPv4 address it carries."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address)
    if not address.is_global:
        raise UnsafeUrl(f"{address} is not a public address")
    if isinstance(address, ipaddress.IPv6Address):
        if address in _IPV4_COMPATIBLE:
            raise UnsafeUrl(f"{address} is an IPv4-compatible address (deprecated)")
        for embedded in _embedded_ipv4(address):
            if not embedded.is_global:
                raise UnsafeUrl(f"{address} carries {embedded}, which is not public")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _check_name(host: str, *, allow_insecure: bool) -> None:
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UnsafeUrl(f"{host!r} is not a valid host name") from exc
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UnsafeUrl(f"{host!r} is not a valid host name")
    if len(labels) < 2 and not allow_insecure:
        raise UnsafeUrl(f"{host!r} is not a public host name (no domain)")
