"""Market-data values: one bar of trades, and one time step of bars.

A :class:`TradeBar` carries two times. ``time`` is when the bar starts, as
the data files write it; ``end_time`` is when the bar's values are known, so a
backtest that releases bars at ``end_time`` never looks ahead. A
:class:`Slice` is everything that became known at one instant, keyed by
symbol.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import final

import attrs

__all__ = ["Slice", "TradeBar"]


@final
@attrs.frozen
class TradeBar:
    """Open, high, low, close and volume of one symbol over one period.

    Prices are plain floats in the quote currency (LEAN's scaled integers are
    already divided by 10,000). Both times are time-zone aware, in the data's
    own zone (New York for US equities, UTC for crypto).

    Attributes:
        symbol: The ticker, upper case (``"SPY"``).
        time: When the bar starts, e.g. 00:00 for a daily bar.
        end_time: When the bar is known and may be acted on, e.g. the 16:00
            close for a daily US-equity bar.
        open: The first trade price of the period.
        high: The highest trade price of the period.
        low: The lowest trade price of the period.
        close: The last trade price of the period.
        volume: Shares (or coins) traded in the period.
        period: The bar's nominal length: one day, one hour or one minute.
    """

    symbol: str
    time: datetime
    end_time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    period: timedelta


def _read_only(bars: Mapping[str, TradeBar]) -> Mapping[str, TradeBar]:
    return MappingProxyType(dict(bars))


@final
@attrs.frozen(eq=True, hash=False)
class Slice(Mapping[str, TradeBar]):
    """The bars that became known at one instant, keyed by symbol.

    A slice reads like a read-only dictionary: ``slice["SPY"]`` is SPY's
    bar (``KeyError`` if SPY has none at this instant), ``"SPY" in slice``
    tests for one, iterating yields the symbols, and ``len``, ``keys``,
    ``values``, ``items`` and ``get`` work as on a ``dict``.

    Attributes:
        time: When the slice is emitted: the ``end_time`` of its bars.
        bars: The bars by symbol; a read-only copy of what was passed in.
    """

    time: datetime
    bars: Mapping[str, TradeBar] = attrs.field(converter=_read_only)

    def __getitem__(self, symbol: str) -> TradeBar:
        """The bar of ``symbol``; ``KeyError`` if the slice has none."""
        return self.bars[symbol]

    def __iter__(self) -> Iterator[str]:
        """The symbols of the slice, in the order the bars were given."""
        return iter(self.bars)

    def __len__(self) -> int:
        """How many symbols have a bar in this slice."""
        return len(self.bars)
