"""Which pages may start a web chat for a tenant (pure).

A tenant's widget sends a public key, and a browser sends the page's ``Origin``: a
chat starts only for a configured tenant, with one of its keys, from one of its
allowed origins (any, when it lists none). The key is public (it sits in the page):
it names the site rather than proving anything; the origin check is what stops
another site's pages from chatting, or holding a socket, as ours (a browser always
sends ``Origin`` on a cross-site request and a WebSocket handshake). Clients that are
not browsers can omit it, and are held by the per-address limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from cc_common.signatures import same_secret


class WebchatSite(Protocol):
    """A tenant's widget setup (``settings.WebchatSite``)."""

    @property
    def widget_keys(self) -> Sequence[str]: ...

    @property
    def allowed_origins(self) -> Sequence[str]: ...


class Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def admit(
    sites: Mapping[str, WebchatSite],
    tenant_id: str,
    widget_key: str | None,
    origin: str | None,
    *,
    open_to_all: bool = False,
) -> None:
    """Raise :class:`Refused` unless this page may start a chat for the tenant."""
    site = sites.get(tenant_id)
    if site is None:
        if open_to_all:
            return
        raise Refused(404, "No web chat for this tenant.")
    if not widget_key or not any(same_secret(widget_key, k) for k in site.widget_keys):
        raise Refused(403, "The widget key is not this tenant's.")
    check_origin(site, origin)


def check_origin(site: WebchatSite | None, origin: str | None) -> None:
    """Raise :class:`Refused` when a browser page runs where the tenant did not allow."""
    if site is None or not site.allowed_origins or origin is None:
        return
    allowed = {o.rstrip("/").lower() for o in site.allowed_origins}
    if origin.rstrip("/").lower() not in allowed:
        raise Refused(403, "The widget may not run on this site.")
