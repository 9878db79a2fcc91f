"""Date rules and time rules, with LEAN's names and semantics.

A :class:`DateRule` says on which days an event fires; a :class:`TimeRule`
says at which instants of such a day. Both are lazy: making a rule costs
nothing, and its days are worked out one by one as they are iterated, so a
rule over fifty years holds no list of dates. The rules that take a symbol
count the trading days of the symbol's market and load its calendar (and
pandas) only when first iterated.

Every instant a rule gives is an aware UTC datetime. Wall times are read in a
time zone with two rules: a time that happens twice resolves to the later
instant, and a time that never happens to the first instant after the gap.
"""

from __future__ import annotations

import enum
import functools
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import final, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ._errors import ScheduleError
from ._markets import (
    CALENDAR_DAYS,
    NEW_YORK,
    WEEK_ORDER,
    Market,
    local_instant,
    market_for,
    resolve_local,
)

__all__ = [
    "FRIDAY",
    "MONDAY",
    "SATURDAY",
    "SUNDAY",
    "THURSDAY",
    "TUESDAY",
    "WEDNESDAY",
    "DateRule",
    "DateRules",
    "TimeRule",
    "TimeRules",
    "Weekday",
    "date_rules",
    "fire_times",
    "time_rules",
]

#: A pair of rules that yields no fire time on this many days in a row is
#: taken to never fire again (about ten years of days).
MAX_DAYS_WITHOUT_FIRE = 3700


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

DayGenerator = Callable[[date], Iterable[date]]
TimeGenerator = Callable[[date, datetime | None], Iterable[datetime]]


@final
@attrs.frozen
class DateRule:
    """The days an event fires on, as local dates in ``time_zone``.

    Attributes:
        name: The rule's name as LEAN forms it, e.g. ``"Sunday"`` or
            ``"SPY: MonthStart+5"``.
        time_zone: The zone whose calendar dates the rule counts; the
            scheduler takes the start date in this zone.
    """

    name: str
    time_zone: tzinfo
    _generate: DayGenerator = attrs.field(repr=False)

    def dates(self, start: date) -> Iterator[date]:
        """The rule's days from ``start`` on, ascending, each at most once.

        Lazy: each day is computed when the iterator reaches it. Days a user
        function gives out of order or before ``start`` are passed over.

        Raises:
            ScheduleError: A user function passes over more than
                ``MAX_DAYS_WITHOUT_FIRE`` days in a row, or a symbol rule
                runs past its market's calendar.
        """
        previous: date | None = None
        passed_over = 0
        for day in self._generate(start):
            if day < start or (previous is not None and day <= previous):
                passed_over = _count_passed_over(passed_over, self.name)
                continue

            previous, passed_over = day, 0
            yield day


def _count_passed_over(passed_over: int, name: str) -> int:
    if passed_over >= MAX_DAYS_WITHOUT_FIRE:
        raise ScheduleError(
            f"date rule {name!r} gave {MAX_DAYS_WITHOUT_FIRE} days in a row that were out of order or before the start"
        )

    return passed_over + 1


@final
@attrs.frozen
class TimeRule:
    """The instants an event fires at on a given day.

    Rules combine with ``|`` (or :meth:`TimeRules.union`).

    Attributes:
        name: The rule's name as LEAN forms it, e.g. ``"9.5"`` or
            ``"SPY: 30 min after MarketOpen"``.
    """

    name: str
    _generate: TimeGenerator = attrs.field(repr=False)

    def times_on(self, day: date, start: datetime | None = None) -> list[datetime]:
        """The rule's instants on ``day``, ascending, as aware UTC datetimes.

        Args:
            day: A local date, as a date rule gives it.
            start: When the schedule starts; only ``time_rules.now`` needs it.

        Raises:
            ScheduleError: The rule needs ``start`` and got none, or a user
                function returned a naive datetime.
        """
        return sorted(set(self._generate(day, start)))

    def __or__(self, other: TimeRule) -> TimeRule:
        return _union((self, other))


def fire_times(
    date_rule: DateRule, time_rule: TimeRule, start: datetime
) -> Iterator[datetime]:
    """The instants an event with these rules fires at, from ``start`` on.

    Days are counted from ``start``'s date in the date rule's zone. Each
    instant is strictly after the one before it, and none is before
    ``start``; an instant equal to ``start`` is included. Lazy and flat in
    memory however long it is iterated.

    Raises:
        ScheduleError: ``start`` is naive, or the rules give no instant on
            ``MAX_DAYS_WITHOUT_FIRE`` days in a row (they never meet).
    """
    start = as_utc(start, "start")
    first_day = start.astimezone(date_rule.time_zone).date()
    last: datetime | None = None
    days_without_fire = 0
    for day in date_rule.dates(first_day):
        days_without_fire += 1
        for instant in time_rule.times_on(day, start):
            if instant >= start and (last is None or instant > last):
                last, days_without_fire = instant, 0
                yield instant

        if days_without_fire >= MAX_DAYS_WITHOUT_FIRE:
            raise ScheduleError(
                f"rules {date_rule.name!r} and {time_rule.name!r} gave no fire time on {MAX_DAYS_WITHOUT_FIRE} days in a row up to {day}"
            )


def as_utc(when: datetime, argument: str) -> datetime:
    """``when`` in UTC; a naive datetime is a :class:`ScheduleError`."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ScheduleError(
            f"`{argument}` must be time-zone aware (got naive {when.isoformat()})"
        )

    return when.astimezone(UTC)


def _as_zone(zone: tzinfo | str) -> tzinfo:
    if isinstance(zone, str):
        try:
            return ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"unknown time zone {zone!r}") from None

    if not isinstance(zone, tzinfo):
        raise ScheduleError(f"a time zone must be a tzinfo or a name (got {zone!r})")

    return zone


def _days_from(start: date) -> Iterator[date]:
    return (start + timedelta(days=offset) for offset in itertools.count())


def _offset_name(symbol: str | None, rule_type: str, offset: int) -> str:
    suffix = f"+{offset}" if offset > 0 else (str(offset) if offset < 0 else "")
    name = f"{rule_type}{suffix}"
    return name if symbol is None else f"{symbol}: {name}"


def _number_name(value: float) -> str:
    """A number as .NET's ``0.##`` format writes it: 8, 9.5, 8.33."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


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


# Periods: a period is (base day, boundary day); the scheduled day is the
# first trading day from the base towards the boundary, moved on by the
# offset in trading days and held inside the period.


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


def _period_days(
    market: Market, periods: Iterator[tuple[date, date]], offset: int
) -> Iterator[date]:
    for base, boundary in periods:
        day = _scheduled_day(market, base, boundary, offset)
        if day is not None:
            yield day


def _month_periods(start: date, forward: bool) -> Iterator[tuple[date, date]]:
    year, month = start.year, start.month
    while True:
        first = date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        last = date(year, month, 1) - timedelta(days=1)
        yield (first, last) if forward else (last, first)


def _quarter_periods(start: date, forward: bool) -> Iterator[tuple[date, date]]:
    year, quarter = start.year, (start.month - 1) // 3
    while True:
        first = date(year, 3 * quarter + 1, 1)
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
        last = date(year, 3 * quarter + 1, 1) - timedelta(days=1)
        yield (first, last) if forward else (last, first)


def _year_periods(start: date, forward: bool) -> Iterator[tuple[date, date]]:
    for year in itertools.count(start.year):
        first, last = date(year, 1, 1), date(year, 12, 31)
        yield (first, last) if forward else (last, first)


def _week_periods(
    start: date, base_weekday: int, span: int, forward: bool
) -> Iterator[tuple[date, date]]:
    days_back = (start.weekday() - base_weekday) % 7 + 7
    base = start - timedelta(days=days_back)
    boundary_step = timedelta(days=span if forward else -span)
    while True:
        yield base, base + boundary_step
        base += timedelta(days=7)


def _market_week(market: Market, forward: bool) -> tuple[int, int]:
    """The base weekday and the span in days of a market's trading week."""
    weekdays = [day for day in WEEK_ORDER if day in market.trading_weekdays]
    span = (weekdays[-1] - weekdays[0]) % 7
    return (weekdays[0], span) if forward else (weekdays[-1], span)


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
        self.time_zone = _as_zone(time_zone)
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
            base_weekday, span = _market_week(market, forward)

        offset = _check_offset(
            rule, offset, 6 if ticker is None else len(market.trading_weekdays) - 1
        )
        periods = functools.partial(
            _week_periods, base_weekday=base_weekday, span=span, forward=forward
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
            _month_periods,
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
            _month_periods,
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
            _quarter_periods,
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
            _quarter_periods,
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
            _year_periods,
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
            _year_periods,
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
            name, lambda start: _period_days(market, periods(start), offset)
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


def _union(rules: Iterable[TimeRule]) -> TimeRule:
    members = tuple(rules)
    if not members:
        raise ScheduleError("union(): give one or more time rules (got none)")

    def generate(day: date, start: datetime | None) -> Iterator[datetime]:
        for rule in members:
            yield from rule.times_on(day, start)

    return TimeRule(",".join(rule.name for rule in members), generate)


def _check_minutes(argument: str, minutes: float) -> timedelta:
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int | float)
        or not math.isfinite(minutes)
    ):
        raise ScheduleError(
            f"`{argument}` must be a finite number of minutes (got {minutes!r})"
        )

    return timedelta(minutes=minutes)


def _check_clock_time(hour: int, minute: int, second: int) -> time:
    try:
        return time(hour, minute, second)
    except (TypeError, ValueError):
        raise ScheduleError(
            f"at(): `hour`, `minute`, `second` must be integers of a time of day (got {hour!r}, {minute!r}, {second!r})"
        ) from None


@final
class TimeRules:
    """Makes time rules in one default time zone, with LEAN's names in snake_case.

    ``aiotrain.time_rules`` is the instance for America/New_York. Making a
    rule never blocks and never loads a market calendar.

    Args:
        time_zone: The zone of wall times that name no zone of their own.
        markets: The market of each symbol that is not a US equity.
    """

    def __init__(
        self,
        time_zone: tzinfo | str = NEW_YORK,
        *,
        markets: Mapping[str, Market] | None = None,
    ) -> None:
        self.time_zone = _as_zone(time_zone)
        self.markets: Mapping[str, Market] = {} if markets is None else markets

    def __repr__(self) -> str:
        return f"<TimeRules in {self.time_zone}>"

    def at(
        self,
        hour: int,
        minute: int = 0,
        second: int = 0,
        tz: tzinfo | str | None = None,
    ) -> TimeRule:
        """The wall time ``hour:minute:second`` in ``tz`` (default: this zone).

        Named by its hours as LEAN does: ``at(8, 0)`` is ``"8"``, ``at(9, 30)``
        is ``"9.5"``.

        Raises:
            ScheduleError: The numbers are not a time of day.
        """
        clock_time = _check_clock_time(hour, minute, second)
        zone = self.time_zone if tz is None else _as_zone(tz)
        hours = hour + minute / 60 + second / 3600
        return TimeRule(
            _number_name(hours),
            lambda day, start: (local_instant(day, clock_time, zone),),
        )

    def every(self, interval: timedelta) -> TimeRule:
        """Every ``interval`` from local midnight through the day, in this zone.

        Each day starts again at midnight, as in LEAN: ``every(timedelta(hours=7))``
        fires at 0:00, 7:00, 14:00 and 21:00.

        Raises:
            ScheduleError: ``interval`` is not a positive timedelta.
        """
        if not isinstance(interval, timedelta) or interval <= timedelta(0):
            raise ScheduleError(
                f"every(): `interval` must be a positive timedelta (got {interval!r})"
            )

        zone = self.time_zone
        name = f"Every {_number_name(interval / timedelta(minutes=1))} min"
        return TimeRule(name, lambda day, start: _every_interval(day, interval, zone))

    @property
    def midnight(self) -> TimeRule:
        """Midnight at the start of each day, in this zone."""
        return TimeRule("Midnight", self._wall_time_generator(time(0)))

    @property
    def noon(self) -> TimeRule:
        """Noon of each day, in this zone."""
        return TimeRule("Noon", self._wall_time_generator(time(12)))

    @property
    def now(self) -> TimeRule:
        """The moment the schedule starts; on later days, the same wall time.

        With ``date_rules.today`` it fires once, at once.
        """
        zone = self.time_zone
        return TimeRule("Now", lambda day, start: (_same_wall_time(day, start, zone),))

    def _wall_time_generator(self, clock_time: time) -> TimeGenerator:
        zone = self.time_zone
        return lambda day, start: (local_instant(day, clock_time, zone),)

    def after_market_open(
        self,
        symbol: str,
        minutes_after_open: float = 0,
        extended_market_open: bool = False,
    ) -> TimeRule:
        """``minutes_after_open`` after the market of ``symbol`` opens, on days it opens.

        Raises:
            ScheduleError: ``symbol`` is empty or the minutes are not finite.
        """
        return self._market_rule(
            symbol,
            minutes_after_open,
            "minutes_after_open",
            "after",
            "MarketOpen",
            extended_market_open,
        )

    def before_market_open(
        self,
        symbol: str,
        minutes_before_open: float = 0,
        extended_market_open: bool = False,
    ) -> TimeRule:
        """``minutes_before_open`` before the market of ``symbol`` opens, on days it opens.

        Raises:
            ScheduleError: ``symbol`` is empty or the minutes are not finite.
        """
        return self._market_rule(
            symbol,
            -minutes_before_open,
            "minutes_before_open",
            "before",
            "MarketOpen",
            extended_market_open,
        )

    def before_market_close(
        self,
        symbol: str,
        minutes_before_close: float = 0,
        extended_market_close: bool = False,
    ) -> TimeRule:
        """``minutes_before_close`` before the market of ``symbol`` closes (early closes included).

        Raises:
            ScheduleError: ``symbol`` is empty or the minutes are not finite.
        """
        return self._market_rule(
            symbol,
            -minutes_before_close,
            "minutes_before_close",
            "before",
            "MarketClose",
            extended_market_close,
        )

    def after_market_close(
        self,
        symbol: str,
        minutes_after_close: float = 0,
        extended_market_close: bool = False,
    ) -> TimeRule:
        """``minutes_after_close`` after the market of ``symbol`` closes, on days it closes.

        Raises:
            ScheduleError: ``symbol`` is empty or the minutes are not finite.
        """
        return self._market_rule(
            symbol,
            minutes_after_close,
            "minutes_after_close",
            "after",
            "MarketClose",
            extended_market_close,
        )

    def _market_rule(
        self,
        symbol: str,
        signed_minutes: float,
        argument: str,
        direction: str,
        event: str,
        extended: bool,
    ) -> TimeRule:
        shift = _check_minutes(argument, signed_minutes)
        market = market_for(symbol, self.markets)
        edge = market.market_open if event == "MarketOpen" else market.market_close
        kind = f"Extended{event}" if extended else event
        name = f"{symbol}: {_number_name(abs(signed_minutes))} min {direction} {kind}"

        def generate(day: date, start: datetime | None) -> Iterator[datetime]:
            instant = edge(day, extended=extended)
            if instant is not None:
                yield instant + shift

        return TimeRule(name, generate)

    def union(self, *rules: TimeRule) -> TimeRule:
        """Every instant of any of ``rules``; named by their names joined with commas.

        Raises:
            ScheduleError: No rule was given.
        """
        return _union(rules)

    def from_function(
        self, function: Callable[[date], Iterable[datetime]], *, name: str
    ) -> TimeRule:
        """A rule whose instants a function gives for each day.

        Args:
            function: Called with each local date of the date rule; returns
                aware datetimes (in any zone) to fire at.
            name: The rule's name, used in the event's name.
        """

        def generate(day: date, start: datetime | None) -> Iterator[datetime]:
            for instant in function(day):
                yield as_utc(instant, f"{name} fire time")

        return TimeRule(name, generate)


def _every_interval(day: date, interval: timedelta, zone: tzinfo) -> Iterator[datetime]:
    midnight = datetime.combine(day, time(0))
    steps = math.ceil(timedelta(days=1) / interval)
    for step in range(steps):
        yield resolve_local(midnight + interval * step, zone)


def _same_wall_time(day: date, start: datetime | None, zone: tzinfo) -> datetime:
    if start is None:
        raise ScheduleError("time_rules.now needs the schedule's start time")

    wall = start.astimezone(zone)
    if wall.date() == day:
        return start

    return local_instant(day, wall.time(), zone)


date_rules = DateRules()
"""Date rules that count days in America/New_York, e.g. ``date_rules.every(SUNDAY)``."""

time_rules = TimeRules()
"""Time rules that read wall times in America/New_York, e.g. ``time_rules.at(8, 0)``."""
