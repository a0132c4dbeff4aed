"""How plumbing classifies failures: permanent, transient, or infrastructure down."""

from __future__ import annotations

from pymongo.errors import ConnectionFailure


class PermanentError(Exception):
    """Retrying cannot help (bad input, broken invariant): dead-letter at once."""


class InfrastructureDown(Exception):
    """A dependency is unreachable: wait and retry without giving up on the message."""


def is_infrastructure_error(exc: BaseException) -> bool:
    """True for outages of the broker or database, which must never dead-letter work."""
    from cc_common.kafka.producer import BrokerUnavailable

    return isinstance(exc, InfrastructureDown | ConnectionFailure | BrokerUnavailable)
