"""When a contact names identities of two customers: merge them, or ask a supervisor (pure).

Resolution is deterministic and explained. A contact whose identities belong to two
customers is evidence they are one person; how strong depends on the identities:
a verified one (a signed LINE user id, an SMTP sender that passed the channel's
checks, a caller id from the carrier) is proof, a typed one (an email a chat
visitor gave) is a claim. Claims never merge on their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from case_service.domain.errors import NotFound, Refused

_MERGE_NAMESPACE = uuid.UUID("6f1c2a9e-1d4b-4e0b-9b7a-3c5d8e2f4a61")


class MergeRefused(Refused):
    """A customer merge or its undoing cannot be done (the message says why)."""


def check_customer_merge(source: str, target: str, merged_into: Mapping[str, str | None]) -> None:
    """Raise unless ``source`` may be merged into ``target``. ``merged_into`` holds each
    of the two found in the tenant, with the customer it was merged into (None: none)."""
    if source == target:
        raise MergeRefused("a customer cannot be merged into itself")
    for customer_id in (source, target):
        if customer_id not in merged_into:
            raise NotFound(f"no customer {customer_id}")
        if merged_into[customer_id]:
            raise MergeRefused(
                f"customer {customer_id} was merged into {merged_into[customer_id]}; "
                "merge with that customer instead"
            )


class MergeAction(StrEnum):
    MERGE = "merge"
    PROPOSE = "propose"


@dataclass(frozen=True, slots=True)
class Conflict:
    """Another customer owns some of a contact's identities."""

    other_customer_id: str
    keys: tuple[str, ...]
    """The contact's identity keys that customer owns."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """The customer a contact belongs to, and others owning some of its identities."""

    customer_id: str
    conflicts: tuple[Conflict, ...] = ()
    own_keys: tuple[str, ...] = ()
    """The contact's keys the customer already owned (new ones it claimed are not)."""


def decide(
    conflict: Conflict, own_keys: tuple[str, ...], *, verified_keys: frozenset[str], auto: bool
) -> MergeAction:
    """Merge when the tenant allows it and every identity tying the contact to either
    customer is verified."""
    if auto and all(key in verified_keys for key in (*conflict.keys, *own_keys)):
        return MergeAction.MERGE
    return MergeAction.PROPOSE


def explain(conflict: Conflict, winner_keys: tuple[str, ...]) -> str:
    """The reason recorded with an automatic merge or a proposal."""
    ours = ", ".join(_shown(k) for k in winner_keys)
    theirs = ", ".join(_shown(k) for k in conflict.keys)
    return f"one contact carried {ours} (this customer) and {theirs} (the other customer)"


def explain_claim(key: str, channel: str, *, typed_here: bool) -> str:
    """The reason recorded with a proposal a typed (unverified) identity raised."""
    if typed_here:
        return (
            f"a {channel} contact of this customer typed {_shown(key)} (unverified),"
            " which the other customer owns"
        )
    return (
        f"the other customer once typed {_shown(key)} (unverified), which this"
        f" customer's {channel} contact came from"
    )


def automatic_merge_id(tenant_id: str, source: str, target: str, event_id: str) -> str:
    """The id of a merge a consumed event caused (replays agree)."""
    return str(uuid.uuid5(_MERGE_NAMESPACE, f"{tenant_id}\x1f{source}\x1f{target}\x1f{event_id}"))


def proposal_id(tenant_id: str, one: str, other: str) -> str:
    """One proposal per pair of customers, whichever contact raised it first."""
    first, second = sorted((one, other))
    return str(uuid.uuid5(_MERGE_NAMESPACE, f"proposal\x1f{tenant_id}\x1f{first}\x1f{second}"))


def _shown(key: str) -> str:
    _, kind, value = key.split("|", 2)
    return f"{kind}:{value}"
