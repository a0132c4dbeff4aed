"""Webhook targets (issue "Nothing forged", finding 7): internal hosts in every spelling
are refused when the subscription is made, malformed URLs too, and a delivery
connects to the address it checked (no second resolution to rebind)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from case_service.consumers.webhook_delivery import pinned_target
from case_service.domain.webhook_targets import UnsafeUrl, check_url


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::127.0.0.1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[64:ff9b::7f00:1]/hook",
        "https://[64:ff9b::a00:1]/hook",
        "https://[2002:7f00:1::]/hook",
        "https://[2002:a9fe:a9fe::]/hook",
        "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",
        "https://2130706433/hook",
        "https://0x7f.1/hook",
        "https://127.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fe80::1]/hook",
        "https://localhost/hook",
        "https://metadata/hook",
    ],
)
def test_internal_hosts_are_refused_in_every_spelling(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_insecure=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://",
        "https://exa mple.com/hook",
        "https://hooks.example.com:99999/hook",
        "https://hooks.example.com:port/hook",
        "https://-bad-.example.com/hook",
        "https://hooks..example.com/hook",
        "https://user:pass@hooks.example.com/hook",
        "https://hooks.example.com/hook#part",
        "https://hooks.example.com/\x00",
        "https://hooks.example.com/" + "a" * 2100,
        "ftp://hooks.example.com/hook",
        "javascript:alert(1)",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_insecure=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/cc?tenant=acme",
        "https://hooks.example.com:8443/cc",
        "https://93.184.216.34/cc",
        "https://[2606:4700::1111]/cc",
        "https://bücher.example/hook",
    ],
)
def test_public_targets_are_accepted(url: str) -> None:
    check_url(url, allow_insecure=False)


def resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> list[str]:
    """The resolver answers ``addresses`` (a stand-in: no DNS in tests); the names it
    was asked for."""
    asked: list[str] = []
    loop = asyncio.get_running_loop()

    async def getaddrinfo(host: str, port: Any, **_: Any) -> list[Any]:
        asked.append(host)
        family = socket.AF_INET6
        return [(family, socket.SOCK_STREAM, 6, "", (a, port or 443)) for a in addresses]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.asyncio
async def test_a_delivery_connects_to_the_address_it_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = resolving_to(monkeypatch, "2606:4700::1111", "93.184.216.34")
    target = await pinned_target(
        "https://hooks.example.com:8443/cc?tenant=acme", allow_private=False
    )
    assert asked == ["hooks.example.com"]
    assert target.url == "https://[2606:4700::1111]:8443/cc?tenant=acme"
    assert target.headers == {"Host": "hooks.example.com:8443"}
    # TLS still checks the certificate against the name the subscriber gave.
    assert target.extensions == {"sni_hostname": "hooks.example.com"}


@pytest.mark.asyncio
async def test_a_name_with_any_internal_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving_to(monkeypatch, "93.184.216.34", "::ffff:10.0.0.5")
    with pytest.raises(UnsafeUrl):
        await pinned_target("https://rebind.example.com/cc", allow_private=False)
