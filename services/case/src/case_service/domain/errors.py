"""What a use case refuses, in words the API maps to one problem each (api/problems.py)."""

from __future__ import annotations


class CaseServiceError(Exception):
    """A request the case service will not carry out; the message says why."""


class NotFound(CaseServiceError, LookupError):
    """No such case, customer or entry in the caller's tenant."""


class Forbidden(CaseServiceError):
    """The caller's role does not allow this (a tenant-wide macro needs a supervisor)."""


class Refused(CaseServiceError, ValueError):
    """Not possible in the current state (a closed case, a merge of two customers' cases)."""


class Invalid(CaseServiceError, ValueError):
    """The request itself cannot be carried out as asked (a move no status allows)."""


class TooLarge(Invalid):
    """What the request would publish is over the event size limit (422 naming both)."""

    def __init__(self, message: str, *, size_bytes: int, limit_bytes: int) -> None:
        super().__init__(message)
        self.size_bytes = size_bytes
        self.limit_bytes = limit_bytes


class StaleVersion(CaseServiceError):
    """The thing changed since the caller read it (If-Match names an older version)."""


class Malformed(CaseServiceError, ValueError):
    """A value the caller sent cannot be read (a cursor, an identity)."""


class DraftHeld(Refused):
    """A colleague is writing a reply on this case; sending needs an explicit takeover."""

    def __init__(self, message: str, *, holders: list[str]) -> None:
        super().__init__(message)
        self.holders = holders
