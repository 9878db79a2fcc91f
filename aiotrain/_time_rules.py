"""Time rules: LEAN's ``TimeRules``, with the same names in snake_case.

Market rules read the open and close of a symbol's market, which loads its
calendar (and pandas) only when the rule is first asked about a day.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import final

from ._errors import ScheduleError
from ._markets import NEW_YORK, Market, local_instant, market_for, resolve_local
from ._rule_base import TimeGenerator, TimeRule, as_utc, as_zone, union_of

__all__ = ["TimeRules", "time_rules"]


def _number_name(value: float) -> str:
    """A number as .NET's ``0.##`` format writes it: 8, 9.5, 8.33."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


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
        self.time_zone = as_zone(time_zone)
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
        zone = self.time_zone if tz is None else as_zone(tz)
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
        if signed_minutes:
            direction = "after" if signed_minutes > 0 else "before"
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
        return union_of(rules)

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


time_rules = TimeRules()
"""Time rules that read wall times in America/New_York, e.g. ``time_rules.at(8, 0)``."""
