"""Date rules: LEAN's ``DateRules``, with the same names in snake_case.

The rules that take a symbol count the trading days of the symbol's market
and load its calendar (and pandas) only when first iterated.
"""

from __future__ import annotations

import enum
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import final, overload

from ._errors import ScheduleError
from ._markets import CALENDAR_DAYS, NEW_YORK, Market, market_for
from ._periods import (
    market_week,
    month_periods,
    period_days,
    quarter_periods,
    week_periods,
    year_periods,
)
from ._rule_base import DateRule, DayGenerator, as_zone

__all__ = [
    "FRIDAY",
    "MONDAY",
    "SATURDAY",
    "SUNDAY",
    "THURSDAY",
    "TUESDAY",
    "WEDNESDAY",
    "DateRules",
    "Weekday",
    "date_rules",
]


class Weekday(enum.IntEnum):
    """Days of the week, numbered like :meth:`datetime.date.weekday`."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6

    def __str__(self) -> str:
        return self.name.title()


MONDAY = Weekday.MONDAY
"""Monday: the same as ``Weekday.MONDAY``, for ``date_rules.every(MONDAY)``."""
TUESDAY = Weekday.TUESDAY
"""Tuesday: the same as ``Weekday.TUESDAY``, for ``date_rules.every(TUESDAY)``."""
WEDNESDAY = Weekday.WEDNESDAY
"""Wednesday: the same as ``Weekday.WEDNESDAY``, for ``date_rules.every(WEDNESDAY)``."""
THURSDAY = Weekday.THURSDAY
"""Thursday: the same as ``Weekday.THURSDAY``, for ``date_rules.every(THURSDAY)``."""
FRIDAY = Weekday.FRIDAY
"""Friday: the same as ``Weekday.FRIDAY``, for ``date_rules.every(FRIDAY)``."""
SATURDAY = Weekday.SATURDAY
"""Saturday: the same as ``Weekday.SATURDAY``, for ``date_rules.every(SATURDAY)``."""
SUNDAY = Weekday.SUNDAY
"""Sunday: the same as ``Weekday.SUNDAY``, for ``date_rules.every(SUNDAY)``."""


def _days_from(start: date) -> Iterator[date]:
    return (start + timedelta(days=offset) for offset in itertools.count())


def _offset_name(symbol: str | None, rule_type: str, offset: int) -> str:
    suffix = f"+{offset}" if offset > 0 else (str(offset) if offset < 0 else "")
    name = f"{rule_type}{suffix}"
    return name if symbol is None else f"{symbol}: {name}"


def _check_offset(rule: str, days_offset: int, highest: int) -> int:
    if (
        isinstance(days_offset, bool)
        or not isinstance(days_offset, int)
        or not 0 <= days_offset <= highest
    ):
        raise ScheduleError(
            f"{rule}(): `days_offset` must be an integer between 0 and {highest} (got {days_offset!r})"
        )

    return days_offset


def _split_symbol(
    rule: str, symbol: str | int | None, days_offset: int
) -> tuple[str | None, int]:
    """LEAN's overloads: ``month_start(5)`` means an offset, not a symbol."""
    if isinstance(symbol, int) and not isinstance(symbol, bool):
        if days_offset:
            raise ScheduleError(
                f"{rule}(): give the offset once (got {symbol!r} and days_offset={days_offset!r})"
            )

        return None, symbol

    if symbol is not None and not isinstance(symbol, str):
        raise ScheduleError(f"{rule}(): `symbol` must be a string (got {symbol!r})")

    return symbol, days_offset


def _from_user_days(function: Callable[[date], Iterable[date]]) -> DayGenerator:
    def generate(start: date) -> Iterator[date]:
        for day in function(start):
            yield day.date() if isinstance(day, datetime) else day

    return generate


@final
class DateRules:
    """Makes date rules in one time zone, with LEAN's names in snake_case.

    ``aiotrain.date_rules`` is the instance for America/New_York; an
    algorithm in another zone makes its own. Making a rule never blocks and
    never loads a market calendar.

    Args:
        time_zone: The zone whose calendar dates the rules count.
        markets: The market of each symbol that is not a US equity; an
            algorithm may keep adding to this mapping after making rules.
    """

    def __init__(
        self,
        time_zone: tzinfo | str = NEW_YORK,
        *,
        markets: Mapping[str, Market] | None = None,
    ) -> None:
        self.time_zone = as_zone(time_zone)
        self.markets: Mapping[str, Market] = {} if markets is None else markets

    def __repr__(self) -> str:
        return f"<DateRules in {self.time_zone}>"

    def _rule(self, name: str, generate: DayGenerator) -> DateRule:
        return DateRule(name, self.time_zone, generate)

    def every_day(self, symbol: str | None = None) -> DateRule:
        """Every day, or every trading day of ``symbol``'s market.

        Raises:
            ScheduleError: ``symbol`` is not a non-empty string.
        """
        if symbol is None:
            return self._rule("EveryDay", _days_from)

        market = market_for(symbol, self.markets)
        return self._rule(
            f"{symbol}: EveryDay",
            lambda start: filter(market.is_trading_day, _days_from(start)),
        )

    def every(self, *weekdays: Weekday | int) -> DateRule:
        """Every given day of the week, e.g. ``every(SUNDAY)``; named ``"Sunday"``.

        Raises:
            ScheduleError: No weekday was given, or one is not 0 to 6.
        """
        if not weekdays or any(day not in range(7) for day in weekdays):
            raise ScheduleError(
                f"every(): give one or more weekdays from MONDAY (0) to SUNDAY (6) (got {weekdays!r})"
            )

        chosen = tuple(Weekday(day) for day in weekdays)
        wanted = frozenset(chosen)
        return self._rule(
            ",".join(str(day) for day in chosen),
            lambda start: (day for day in _days_from(start) if day.weekday() in wanted),
        )

    def on(self, *days: date) -> DateRule:
        """Only the given days; named like ``"01/03/2000,01/04/2000"``.

        Raises:
            ScheduleError: No day was given, or one is not a date.
        """
        if not days or not all(isinstance(day, date) for day in days):
            raise ScheduleError(f"on(): give one or more dates (got {days!r})")

        chosen = sorted(
            {day.date() if isinstance(day, datetime) else day for day in days}
        )
        name = ",".join(day.strftime("%m/%d/%Y") for day in chosen)
        return self._rule(name, lambda start: iter(chosen))

    @property
    def today(self) -> DateRule:
        """Only the day the schedule starts, in this zone."""
        return self._rule("TodayOnly", lambda start: iter((start,)))

    @property
    def tomorrow(self) -> DateRule:
        """Only the day after the schedule starts, in this zone."""
        return self._rule(
            "TomorrowOnly", lambda start: iter((start + timedelta(days=1),))
        )

    @overload
    def week_start(self, symbol: int) -> DateRule: ...
    @overload
    def week_start(
        self, symbol: str | None = None, days_offset: int = 0
    ) -> DateRule: ...
    def week_start(
        self, symbol: str | int | None = None, days_offset: int = 0
    ) -> DateRule:
        """Monday plus ``days_offset`` days (0 to 6) each week.

        With a symbol: the first trading day of the market's week plus
        ``days_offset`` trading days, held inside the week. The market's
        week starts on its first trading weekday in Sunday-to-Saturday
        order (Monday for US equities, Sunday for crypto and forex).

        Raises:
            ScheduleError: The offset is out of range; with a symbol the
                highest offset is the number of its trading weekdays less one.
        """
        return self._weekly(
            "week_start", "WeekStart", symbol, days_offset, forward=True
        )

    @overload
    def week_end(self, symbol: int) -> DateRule: ...
    @overload
    def week_end(self, symbol: str | None = None, days_offset: int = 0) -> DateRule: ...
    def week_end(
        self, symbol: str | int | None = None, days_offset: int = 0
    ) -> DateRule:
        """Friday less ``days_offset`` days (0 to 6; 6 is the Saturday before) each week.

        With a symbol: the last trading day of the market's week less
        ``days_offset`` trading days, held inside the week.

        Raises:
            ScheduleError: The offset is out of range (see :meth:`week_start`).
        """
        return self._weekly("week_end", "WeekEnd", symbol, days_offset, forward=False)

    def _weekly(
        self,
        rule: str,
        rule_type: str,
        symbol: str | int | None,
        days_offset: int,
        *,
        forward: bool,
    ) -> DateRule:
        ticker, offset = _split_symbol(rule, symbol, days_offset)
        if ticker is None:
            base_weekday, span, market = (0 if forward else 4), 6, CALENDAR_DAYS
        else:
            market = market_for(ticker, self.markets)
            base_weekday, span = market_week(market, forward)

        offset = _check_offset(
            rule, offset, 6 if ticker is None else len(market.trading_weekdays) - 1
        )
        periods = functools.partial(
            week_periods, base_weekday=base_weekday, span=span, forward=forward
        )
        return self._period_rule(ticker, rule_type, offset, forward, market, periods)

    @overload
    def month_start(self, symbol: int) -> DateRule: ...
    @overload
    def month_start(
        self, symbol: str | None = None, days_offset: int = 0
    ) -> DateRule: ...
    def month_start(
        self, symbol: str | int | None = None, days_offset: int = 0
    ) -> DateRule:
        """The 1st plus ``days_offset`` days (0 to 30) each month, held inside the month.

        With a symbol the offset counts trading days from the month's first
        trading day: ``month_start("SPY", 5)`` is the sixth trading day.

        Raises:
            ScheduleError: ``days_offset`` is not between 0 and 30.
        """
        return self._calendar_period(
            "month_start",
            "MonthStart",
            30,
            month_periods,
            symbol,
            days_offset,
            forward=True,
        )

    @overload
    def month_end(self, symbol: int) -> DateRule: ...
    @overload
    def month_end(
        self, symbol: str | None = None, days_offset: int = 0
    ) -> DateRule: ...
    def month_end(
        self, symbol: str | int | None = None, days_offset: int = 0
    ) -> DateRule:
        """The last day less ``days_offset`` days (0 to 30) each month.

        With a symbol the offset counts trading days back from the month's
        last trading day.

        Raises:
            ScheduleError: ``days_offset`` is not between 0 and 30.
        """
        return self._calendar_period(
            "month_end",
            "MonthEnd",
            30,
            month_periods,
            symbol,
            days_offset,
            forward=False,
        )

    @overload
    def quarter_start(self, symbol: int) -> DateRule: ...
    @overload
    def quarter_start(
        self, symbol: str | None = None, days_offset: int = 0
    ) -> DateRule: ...
    def quarter_start(
        self, symbol: str | int | None = None, days_offset: int = 0
    ) -> DateRule:
        """The first day of each quarter plus ``days_offset`` days (0 to 91).

        With a symbol the offset counts trading days.

        Raises:
            ScheduleError: ``days_offset`` is not between 0 and 91.
        """
        return self._calendar_period(
            "quarter_start",
            "QuarterStart",
            91,
            quarter_periods,
            symbol,
            days_offset,
            forward=True,
        )

    @overload
    def quarter_end(self, symbol: int) -> DateRule: ...
    @overload
    def quarter_end(
        self, symbol: str | None = None, days_offset: int = 0
    ) -> DateRule: ...
    def quarter_end(
        self, symbol: str | int | None = None, days_offset: int = 0
    ) -> DateRule:
        """The last day of each quarter less ``days_offset`` days (0 to 91).

        With a symbol the offset counts trading days.

        Raises:
            ScheduleError: ``days_offset`` is not between 0 and 91.
        """
        return self._calendar_period(
            "quarter_end",
            "QuarterEnd",
            91,
            quarter_periods,
            symbol,
            days_offset,
            forward=False,
        )

    @overload
    def year_start(self, symbol: int) -> DateRule: ...
    @overload
    def year_start(
        self, symbol: str | None = None, days_offset: int = 0
    ) -> DateRule: ...
    def year_start(
        self, symbol: str | int | None = None, days_offset: int = 0
    ) -> DateRule:
        """January 1st plus ``days_offset`` days (0 to 365) each year.

        With a symbol the offset counts trading days.

        Raises:
            ScheduleError: ``days_offset`` is not between 0 and 365.
        """
        return self._calendar_period(
            "year_start",
            "YearStart",
            365,
            year_periods,
            symbol,
            days_offset,
            forward=True,
        )

    @overload
    def year_end(self, symbol: int) -> DateRule: ...
    @overload
    def year_end(self, symbol: str | None = None, days_offset: int = 0) -> DateRule: ...
    def year_end(
        self, symbol: str | int | None = None, days_offset: int = 0
    ) -> DateRule:
        """December 31st less ``days_offset`` days (0 to 365) each year.

        With a symbol the offset counts trading days.

        Raises:
            ScheduleError: ``days_offset`` is not between 0 and 365.
        """
        return self._calendar_period(
            "year_end",
            "YearEnd",
            365,
            year_periods,
            symbol,
            days_offset,
            forward=False,
        )

    def _calendar_period(
        self,
        rule: str,
        rule_type: str,
        highest: int,
        period_maker: Callable[..., Iterator[tuple[date, date]]],
        symbol: str | int | None,
        days_offset: int,
        *,
        forward: bool,
    ) -> DateRule:
        ticker, offset = _split_symbol(rule, symbol, days_offset)
        offset = _check_offset(rule, offset, highest)
        market = CALENDAR_DAYS if ticker is None else market_for(ticker, self.markets)
        periods = functools.partial(period_maker, forward=forward)
        return self._period_rule(ticker, rule_type, offset, forward, market, periods)

    def _period_rule(
        self,
        ticker: str | None,
        rule_type: str,
        offset: int,
        forward: bool,
        market: Market,
        periods: Callable[[date], Iterator[tuple[date, date]]],
    ) -> DateRule:
        name = _offset_name(ticker, rule_type, offset if forward else -offset)
        return self._rule(
            name, lambda start: period_days(market, periods(start), offset)
        )

    def from_function(
        self, function: Callable[[date], Iterable[date]], *, name: str
    ) -> DateRule:
        """A rule whose days a function gives.

        Args:
            function: Called with the start date; returns (or yields, lazily)
                the days to fire on. Days before the start or not after the
                previous one are passed over.
            name: The rule's name, used in the event's name.
        """
        return self._rule(name, _from_user_days(function))


date_rules = DateRules()
"""Date rules that count days in America/New_York, e.g. ``date_rules.every(SUNDAY)``."""
