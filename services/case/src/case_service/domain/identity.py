"""Identity keys: how an identity is matched across channels (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from cc_common.events import Identity, IdentityKind


def normalise_value(identity: Identity) -> str:
    """The comparable form: emails lower-cased, other ids as given (trimmed)."""
    value = identity.value.strip()
    return value.lower() if identity.kind is IdentityKind.EMAIL else value


def identity_key(tenant_id: str, kind: IdentityKind | str, value: str) -> str:
    """The unique key of an identity within a tenant."""
    return f"{tenant_id}|{IdentityKind(kind).value}|{value}"


def keys_in_priority(tenant_id: str, identities: Iterable[Identity]) -> list[str]:
    """Identity keys, verified ones first, without duplicates.

    The first key decides which customer a brand-new contact becomes, so two
    concurrent first contacts race on the same unique key and agree.
    """
    ordered = sorted(identities, key=lambda i: (not i.verified, i.kind.value))
    keys: list[str] = []
    for identity in ordered:
        key = identity_key(tenant_id, identity.kind, normalise_value(identity))
        if key not in keys:
            keys.append(key)
    return keys


def parse_identity_query(text: str) -> tuple[IdentityKind, str]:
    """Parse ``kind:value`` (as in ``email:ana@example.com``)."""
    kind, sep, value = text.partition(":")
    if not sep or not value:
        raise ValueError("identity must look like kind:value, e.g. email:ana@example.com")
    parsed = IdentityKind(kind)
    value = value.strip()
    return parsed, value.lower() if parsed is IdentityKind.EMAIL else value
