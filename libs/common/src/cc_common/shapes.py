"""Provider payloads whose shape surprises a parser (pure).

Providers' JSON and forms are read leniently, field by field; a payload with a
list where an object was documented (or a number for a string) would otherwise
surface as a ``TypeError`` deep in a parser and a 500 at the edge, and the
provider would retry it for days. Each parser declares its own "malformed
payload" error and lets this decorator turn any such surprise into it, so the
edge dead-letters the payload with the reason and answers for good.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
SURPRISES = (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError)


def malformed_as(error: type[Exception]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Raise ``error`` (with the surprise named) when the wrapped parser trips on a shape."""

    def wrap(parse: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(parse)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return parse(*args, **kwargs)
            except error:
                raise
            except SURPRISES as exc:
                reason = f"unexpected payload shape ({type(exc).__name__}: {exc})"
                raise error(reason[:300]) from exc

        return guarded

    return wrap
