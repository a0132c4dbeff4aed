"""Identity keys: how an identity is matched across channels (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from case_service.domain.phones import canonical_phone
from cc_common.events import Identity, IdentityKind


@dataclass(frozen=True, slots=True)
class IdentityRules:
    """A tenant's identity rules."""

    phone_region: str | None = None
    """Where numbers written without a country code are (ISO 3166, e.g. "JP")."""
    auto_merge: bool = True
    """Verified identities of two customers on one contact merge them (else: propose)."""


def normalise_value(identity: Identity, phone_region: str | None = None) -> str:
    """The comparable form: emails lower-cased, phone numbers and WhatsApp ids in their
    canonical E.164 form (see phones.py), other ids as given (trimmed)."""
    return normalise(identity.kind, identity.value, phone_region)


def normalise(kind: IdentityKind, value: str, phone_region: str | None = None) -> str:
    value = value.strip()
    if kind is IdentityKind.EMAIL:
        return value.lower()
    if kind is IdentityKind.PHONE:
        return canonical_phone(value, phone_region) or value
    if kind is IdentityKind.WHATSAPP_ID:
        phone = canonical_phone(value)
        return phone.removeprefix("+") if phone else value
    return value


def identity_key(tenant_id: str, kind: IdentityKind | str, value: str) -> str:
    """The unique key of an identity within a tenant."""
    return f"{tenant_id}|{IdentityKind(kind).value}|{value}"


def keys_in_priority(
    tenant_id: str, identities: Iterable[Identity], phone_region: str | None = None
) -> list[str]:
    """The keys that find a contact's customer, verified ones first, without duplicates.

    The first key decides which customer a brand-new contact becomes, so two
    concurrent first contacts race on the same unique key and agree. Claimed
    identities (typed by the person) find no customer: see ``claimed_keys``.
    """
    ordered = sorted(
        (i for i in identities if not i.claimed), key=lambda i: (not i.verified, i.kind.value)
    )
    keys: list[str] = []
    for identity in ordered:
        key = identity_key(tenant_id, identity.kind, normalise_value(identity, phone_region))
        if key not in keys:
            keys.append(key)
    return keys


def claimed_keys(
    tenant_id: str, identities: Iterable[Identity], phone_region: str | None = None
) -> list[str]:
    """The keys of identities the person typed (a web chat's pre-chat email or phone).

    Anyone can type anyone's address, so a claim never joins, renames or reveals an
    existing customer: it is kept beside the customer who made it and, when another
    customer owns the identity (or comes to own it), proposed to an agent as a link.
    """
    proven = set(keys_in_priority(tenant_id, identities, phone_region))
    keys: list[str] = []
    for identity in identities:
        if not identity.claimed:
            continue
        key = identity_key(tenant_id, identity.kind, normalise_value(identity, phone_region))
        if key not in proven and key not in keys:
            keys.append(key)
    return keys


def parse_identity_query(text: str, phone_region: str | None = None) -> tuple[IdentityKind, str]:
    """Parse ``kind:value`` (as in ``email:ana@example.com``), the value normalised."""
    kind, sep, value = text.partition(":")
    if not sep or not value.strip():
        raise ValueError("identity must look like kind:value, e.g. email:ana@example.com")
    parsed = IdentityKind(kind)
    return parsed, normalise(parsed, value, phone_region)


def verified_keys(
    tenant_id: str, identities: Iterable[Identity], phone_region: str | None = None
) -> frozenset[str]:
    """The keys of the identities the channel verified."""
    return frozenset(
        identity_key(tenant_id, i.kind, normalise_value(i, phone_region))
        for i in identities
        if i.verified
    )
