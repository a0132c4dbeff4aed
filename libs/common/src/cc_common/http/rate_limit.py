"""Token buckets per key (a visitor, an IP address, a token's subject), in memory per
instance: a flood from one source is refused with 429 while others are served."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import HTTPException


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``rate`` requests per second on average, bursts up to ``burst``."""

    def __init__(self, *, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self._rate = rate
        self._burst = burst
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, key: str) -> float:
        """0 when allowed; otherwise the seconds to wait before trying again."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.pop(next(iter(self._buckets)))
            bucket = self._buckets[key] = _Bucket(float(self._burst), now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self._rate


def enforce(limiter: RateLimiter, key: str) -> None:
    """Raise 429 with ``Retry-After`` when ``key`` is over its rate."""
    wait = limiter.allow(key)
    if wait:
        raise HTTPException(
            429, "Too many requests; slow down.", headers={"Retry-After": str(math.ceil(wait))}
        )
