"""Reading newest-first pages in time windows, so a page costs what it returns on a
database that sorts whatever its index bounds match (SecantusDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_FIRST_WINDOW = timedelta(milliseconds=1)
_EMPTY_GROWTH = 8
_MARGIN = 1.25
_OLDEST = datetime(1990, 1, 1, tzinfo=UTC)


class TimeWindows:
    """Time ranges for one page of a query sorted newest first on a time field,
    down to ``_OLDEST`` and then everything older (a timeline page: ``occurred_at``).

    Why windows: SecantusDB answers a sorted, limited find by fetching every entry
    its index bounds match and sorting them (measured: 178 ms a page at 5,000
    entries of one customer, limit or not; about 0.1 ms an entry fetched); a bounded
    range on an index's time key bounds that work. Each window after the first is
    sized from what the page has found so far (the density of the time covered),
    with a margin; after a window that found nothing it widens ``_EMPTY_GROWTH`` times. A page
    therefore costs about the entries it returns plus a few cheap probes, however
    long the history. MongoDB walks the same index in order. Entries sharing one
    instant are always read together.
    """

    def __init__(self, upper: datetime | None, first: timedelta | None, now: datetime) -> None:
        self._start = upper if upper is not None else now
        self._top = self._start
        # A hint is the time a page's worth of entries took: with the margin, one
        # window usually fills the page (a probe costs about ten entries' fetching).
        self._width = first * _MARGIN if first else _FIRST_WINDOW
        self._found = 0
        # Windows are (low, top]: SecantusDB 0.7 reads ``$gte`` on an index's
        # descending time key as ``$gt`` (measured: 365 of 413 entries come back), while
        # ``$gt`` and ``$lte`` are exact. Stored times are whole milliseconds.
        self._bound: dict[str, datetime] | None = {"$lte": upper} if upper else {}

    def next(self, found: int, wanted: int) -> dict[str, datetime] | None:
        """The next range to read, given how many entries the page has so far."""
        if self._bound is None:
            return None
        if self._top != self._start:
            covered = self._start - self._top
            if found > self._found:
                self._width = max(covered * ((wanted - found) / found) * _MARGIN, _MILLISECOND)
            else:  # the last window was empty: history thins out here
                self._width *= _EMPTY_GROWTH
        self._found = found
        bound = self._bound
        if self._width >= self._top - _OLDEST:
            self._bound = None
            return bound or {"$gt": datetime.min.replace(tzinfo=UTC)}
        low = self._top - self._width
        self._bound, self._top = {"$lte": low}, low
        return {**bound, "$gt": low}


_MILLISECOND = timedelta(milliseconds=1)
