"""What date rules and time rules are, and the instants a pair of them gives.

A :class:`DateRule` says on which days an event fires; a :class:`TimeRule`
says at which instants of such a day. Both are lazy: making a rule costs
nothing, and its days are worked out one by one as they are iterated, so a
rule over fifty years holds no list of dates. :func:`fire_times` walks a
pair of rules forward from a start instant.

Every instant a rule gives is an aware UTC datetime. Wall times are read in a
time zone with two rules: a time that happens twice resolves to the later
instant, and a time that never happens to the first instant after the gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, tzinfo
from typing import final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ._errors import ScheduleError

__all__ = [
    "MAX_DAYS_WITHOUT_FIRE",
    "DateRule",
    "DayGenerator",
    "TimeGenerator",
    "TimeRule",
    "as_utc",
    "as_zone",
    "fire_times",
    "union_of",
]


#: A pair of rules that yields no fire time on this many days in a row is
#: taken to never fire again (about ten years of days).
MAX_DAYS_WITHOUT_FIRE = 3700


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
        return union_of((self, other))


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
    for day in _days_until_calendar_end(date_rule, first_day):
        days_without_fire += 1
        for instant in time_rule.times_on(day, start):
            if instant >= start and (last is None or instant > last):
                last, days_without_fire = instant, 0
                yield instant

        if days_without_fire >= MAX_DAYS_WITHOUT_FIRE:
            raise ScheduleError(
                f"rules {date_rule.name!r} and {time_rule.name!r} gave no fire time on {MAX_DAYS_WITHOUT_FIRE} days in a row up to {day}"
            )


def _days_until_calendar_end(date_rule: DateRule, first_day: date) -> Iterator[date]:
    """The rule's days, ending quietly where Python's calendar ends (year 9999)."""
    days = date_rule.dates(first_day)
    latest = first_day
    while True:
        try:
            day = next(days)
        except StopIteration:
            return
        except (OverflowError, ValueError):
            if latest.year >= date.max.year:
                return
            raise

        latest = day
        yield day


def as_utc(when: datetime, argument: str) -> datetime:
    """``when`` in UTC; a naive datetime is a :class:`ScheduleError`."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ScheduleError(
            f"`{argument}` must be time-zone aware (got naive {when.isoformat()})"
        )

    return when.astimezone(UTC)


def as_zone(zone: tzinfo | str) -> tzinfo:
    """``zone`` as a tzinfo; a name is looked up in the IANA database."""
    if isinstance(zone, str):
        try:
            return ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"unknown time zone {zone!r}") from None

    if not isinstance(zone, tzinfo):
        raise ScheduleError(f"a time zone must be a tzinfo or a name (got {zone!r})")

    return zone


def union_of(rules: Iterable[TimeRule]) -> TimeRule:
    """A rule giving every instant of any of ``rules``."""
    members = tuple(rules)
    if not members:
        raise ScheduleError("union(): give one or more time rules (got none)")

    def generate(day: date, start: datetime | None) -> Iterator[datetime]:
        for rule in members:
            yield from rule.times_on(day, start)

    return TimeRule(",".join(rule.name for rule in members), generate)
