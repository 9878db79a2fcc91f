"""Calendar periods and the day a period rule picks inside each.

A period is a pair (base day, boundary day): the first and last day of a
week, month, quarter or year, or the last and first for the rules that
count back from the end. The scheduled day is the first trading day from the
base towards the boundary, moved on by the offset in trading days and held
inside the period.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta

from ._markets import WEEK_ORDER, Market

__all__ = [
    "market_week",
    "month_periods",
    "period_days",
    "quarter_periods",
    "week_periods",
    "year_periods",
]


def _scheduled_day(
    market: Market, base: date, boundary: date, offset: int
) -> date | None:
    step = timedelta(days=1 if boundary >= base else -1)
    span = abs((boundary - base).days)
    trading_days = [
        base + step * index
        for index in range(span + 1)
        if market.is_trading_day(base + step * index)
    ]
    if not trading_days:
        return None

    return trading_days[min(offset, len(trading_days) - 1)]


def period_days(
    market: Market, periods: Iterator[tuple[date, date]], offset: int
) -> Iterator[date]:
    """The scheduled day of each period; a period with no trading day gives none."""
    for base, boundary in periods:
        day = _scheduled_day(market, base, boundary, offset)
        if day is not None:
            yield day


def month_periods(start: date, forward: bool) -> Iterator[tuple[date, date]]:
    year, month = start.year, start.month
    while True:
        first = date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        last = date(year, month, 1) - timedelta(days=1)
        yield (first, last) if forward else (last, first)


def quarter_periods(start: date, forward: bool) -> Iterator[tuple[date, date]]:
    year, quarter = start.year, (start.month - 1) // 3
    while True:
        first = date(year, 3 * quarter + 1, 1)
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
        last = date(year, 3 * quarter + 1, 1) - timedelta(days=1)
        yield (first, last) if forward else (last, first)


def year_periods(start: date, forward: bool) -> Iterator[tuple[date, date]]:
    for year in itertools.count(start.year):
        first, last = date(year, 1, 1), date(year, 12, 31)
        yield (first, last) if forward else (last, first)


def week_periods(
    start: date, base_weekday: int, span: int, forward: bool
) -> Iterator[tuple[date, date]]:
    days_back = (start.weekday() - base_weekday) % 7 + 7
    base = start - timedelta(days=days_back)
    boundary_step = timedelta(days=span if forward else -span)
    while True:
        yield base, base + boundary_step
        base += timedelta(days=7)


def market_week(market: Market, forward: bool) -> tuple[int, int]:
    """The base weekday and the span in days of a market's trading week."""
    weekdays = [day for day in WEEK_ORDER if day in market.trading_weekdays]
    span = (weekdays[-1] - weekdays[0]) % 7
    return (weekdays[0], span) if forward else (weekdays[-1], span)
