"""Merging several symbols' bar streams into one stream of slices."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime

from ._bars import Slice, TradeBar
from ._errors import DataError

__all__ = ["merge_slices"]


def _end_time(bar: TradeBar) -> datetime:
    return bar.end_time


def _keyed_by_symbol(when: datetime, bars: Iterable[TradeBar]) -> dict[str, TradeBar]:
    keyed: dict[str, TradeBar] = {}
    for bar in bars:
        if bar.symbol in keyed:
            raise DataError(
                f"two bars of {bar.symbol} are released at {when.isoformat()}"
            )

        keyed[bar.symbol] = bar

    return keyed


def merge_slices(*streams: Iterable[TradeBar]) -> Iterator[Slice]:
    """Merge per-symbol bar streams into slices in order of ``end_time``.

    Bars of different symbols released at the same instant share one slice,
    whose ``time`` is that instant. The streams are read lazily, one bar
    ahead each, so memory stays flat however long they are. Each stream
    must already be in ``end_time`` order, as every reader's output is.

    Args:
        *streams: One iterable of bars per symbol.

    Returns:
        An iterator of slices with strictly increasing ``time``.

    Raises:
        DataError: While iterating: two bars of one symbol are released at
            the same instant, or a stream goes back in time.
    """
    merged = heapq.merge(*streams, key=_end_time)
    return _grouped(merged)


def _grouped(bars: Iterator[TradeBar]) -> Iterator[Slice]:
    previous: datetime | None = None
    for when, group in itertools.groupby(bars, key=_end_time):
        if previous is not None and when <= previous:
            raise DataError(
                f"a bar stream is out of order: bars released at {when.isoformat()} come after {previous.isoformat()}"
            )

        previous = when
        yield Slice(when, _keyed_by_symbol(when, group))
