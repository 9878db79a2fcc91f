"""Tests for date rules, time rules and their fire times."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiotrain import (
    FRIDAY,
    MONDAY,
    SATURDAY,
    SUNDAY,
    DateRules,
    Market,
    ScheduleError,
    TimeRules,
    Weekday,
    date_rules,
    time_rules,
)
from aiotrain._rule_base import DateRule, TimeRule, fire_times

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def dates_in(rule: DateRule, first: date, last: date) -> list[date]:
    return list(itertools.takewhile(lambda day: day <= last, rule.dates(first)))


def times_until(times: Iterable[datetime], last: datetime) -> list[datetime]:
    return list(itertools.takewhile(lambda instant: instant <= last, times))


# Exact values over the year 2000


def test_every_day_in_2000_gives_366_dates() -> None:
    """every_day() gives every calendar day of the leap year 2000."""
    days = dates_in(date_rules.every_day(), date(2000, 1, 1), date(2000, 12, 31))

    assert len(days) == 366
    assert days[0] == date(2000, 1, 1)
    assert days[-1] == date(2000, 12, 31)


def test_every_day_spy_in_2000_gives_252_trading_days() -> None:
    """every_day("SPY") gives the 252 NYSE sessions of 2000."""
    days = dates_in(date_rules.every_day("SPY"), date(2000, 1, 1), date(2000, 12, 31))

    assert len(days) == 252
    assert days[0] == date(2000, 1, 3)
    assert date(2000, 7, 4) not in days
    assert days[-1] == date(2000, 12, 29)


def test_month_start_spy_5_is_the_sixth_trading_day() -> None:
    """month_start("SPY", 5) falls on the 10, 8, 8, 10, 8, 8 of January to June 2000."""
    rule = date_rules.month_start("SPY", 5)

    days = dates_in(rule, date(2000, 1, 1), date(2000, 6, 30))

    assert [day.day for day in days] == [10, 8, 8, 10, 8, 8]
    assert [day.month for day in days] == [1, 2, 3, 4, 5, 6]
    assert rule.name == "SPY: MonthStart+5"


def test_week_start_in_2000_gives_52_mondays() -> None:
    """week_start() gives the 52 Mondays of 2000."""
    days = dates_in(date_rules.week_start(), date(2000, 1, 1), date(2000, 12, 31))

    assert len(days) == 52
    assert {day.weekday() for day in days} == {MONDAY}
    assert days[0] == date(2000, 1, 3)


def test_at_noon_new_york_is_1700_utc_in_winter() -> None:
    """at(12) in New York on 2000-01-03 is 17:00Z."""
    assert time_rules.at(12).times_on(date(2000, 1, 3)) == [utc(2000, 1, 3, 17)]


def test_after_market_open_spy_30_is_1500_utc() -> None:
    """after_market_open("SPY", 30) on 2000-01-03 is 15:00Z (open 09:30 EST)."""
    rule = time_rules.after_market_open("SPY", 30)

    assert rule.times_on(date(2000, 1, 3)) == [utc(2000, 1, 3, 15)]
    assert rule.name == "SPY: 30 min after MarketOpen"


def test_before_market_close_on_an_early_close_is_1800_utc() -> None:
    """before_market_close("SPY") on 2013-11-29 (closes 13:00 EST) is 18:00Z."""
    rule = time_rules.before_market_close("SPY")

    assert rule.times_on(date(2013, 11, 29)) == [utc(2013, 11, 29, 18)]
    assert rule.name == "SPY: 0 min before MarketClose"


def test_every_zero_interval_is_a_clear_error() -> None:
    """every(timedelta(0)) names the argument and the bad value."""
    with pytest.raises(
        ScheduleError,
        match=r"`interval` must be a positive timedelta \(got datetime.timedelta\(0\)\)",
    ):
        time_rules.every(timedelta(0))


def test_every_negative_interval_is_a_clear_error() -> None:
    """every() refuses a negative interval too."""
    with pytest.raises(ScheduleError, match="positive timedelta"):
        time_rules.every(timedelta(minutes=-5))


# Names as LEAN forms them


@pytest.mark.parametrize(
    ("rule", "name"),
    [
        (date_rules.every_day(), "EveryDay"),
        (date_rules.every_day("SPY"), "SPY: EveryDay"),
        (date_rules.every(SUNDAY), "Sunday"),
        (date_rules.every(MONDAY, FRIDAY), "Monday,Friday"),
        (date_rules.on(date(2000, 1, 4), date(2000, 1, 3)), "01/03/2000,01/04/2000"),
        (date_rules.today, "TodayOnly"),
        (date_rules.tomorrow, "TomorrowOnly"),
        (date_rules.week_start(), "WeekStart"),
        (date_rules.week_start(2), "WeekStart+2"),
        (date_rules.week_end("SPY", 1), "SPY: WeekEnd-1"),
        (date_rules.month_start(), "MonthStart"),
        (date_rules.month_end(3), "MonthEnd-3"),
        (date_rules.quarter_start("SPY"), "SPY: QuarterStart"),
        (date_rules.quarter_end(10), "QuarterEnd-10"),
        (date_rules.year_start(days_offset=4), "YearStart+4"),
        (date_rules.year_end("SPY", 2), "SPY: YearEnd-2"),
    ],
)
def test_date_rule_names_follow_lean(rule: DateRule, name: str) -> None:
    """Date rule names are LEAN's: type, signed offset, symbol prefix."""
    assert rule.name == name


@pytest.mark.parametrize(
    ("rule", "name"),
    [
        (time_rules.at(8, 0), "8"),
        (time_rules.at(9, 30), "9.5"),
        (time_rules.at(8, 20), "8.33"),
        (time_rules.at(0, 0, 36), "0.01"),
        (time_rules.every(timedelta(minutes=120)), "Every 120 min"),
        (time_rules.every(timedelta(seconds=30)), "Every 0.5 min"),
        (time_rules.midnight, "Midnight"),
        (time_rules.noon, "Noon"),
        (time_rules.now, "Now"),
        (
            time_rules.after_market_open("SPY", 10, True),
            "SPY: 10 min after ExtendedMarketOpen",
        ),
        (time_rules.before_market_open("SPY", 1.5), "SPY: 1.5 min before MarketOpen"),
        (time_rules.after_market_close("SPY", 5), "SPY: 5 min after MarketClose"),
        (
            time_rules.before_market_close("SPY", 15, True),
            "SPY: 15 min before ExtendedMarketClose",
        ),
        (time_rules.at(8) | time_rules.noon, "8,Noon"),
    ],
)
def test_time_rule_names_follow_lean(rule: TimeRule, name: str) -> None:
    """Time rule names are LEAN's: hours as 0.##, minutes as 0.##."""
    assert rule.name == name


def test_sunday_at_eight_event_name_parts() -> None:
    """every(SUNDAY) with at(8, 0) makes the parts of "Sunday: 8"."""
    name = f"{date_rules.every(SUNDAY).name}: {time_rules.at(8, 0).name}"

    assert name == "Sunday: 8"
    assert str(Weekday.SUNDAY) == "Sunday"


# Offsets and their limits


@pytest.mark.parametrize(
    ("make", "highest"),
    [
        (date_rules.week_start, 6),
        (date_rules.week_end, 6),
        (date_rules.month_start, 30),
        (date_rules.month_end, 30),
        (date_rules.quarter_start, 91),
        (date_rules.quarter_end, 91),
        (date_rules.year_start, 365),
        (date_rules.year_end, 365),
    ],
)
def test_offsets_outside_lean_limits_are_clear_errors(
    make: object, highest: int
) -> None:
    """An offset below 0 or above LEAN's limit names the argument, limit and value."""
    assert callable(make)
    make(highest)
    for bad in (-1, highest + 1):
        with pytest.raises(
            ScheduleError, match=rf"between 0 and {highest} \(got {bad}\)"
        ):
            make(None, bad)


def test_symbol_week_offset_is_limited_by_trading_weekdays() -> None:
    """A US-equity week has 5 trading weekdays, so offsets stop at 4; crypto's at 6."""
    rules = DateRules(markets={"BTCUSD": Market.crypto()})
    rules.week_start("SPY", 4)
    rules.week_end("BTCUSD", 6)

    with pytest.raises(ScheduleError, match=r"between 0 and 4 \(got 5\)"):
        rules.week_start("SPY", 5)
    with pytest.raises(ScheduleError, match=r"between 0 and 6 \(got 7\)"):
        rules.week_end("BTCUSD", 7)


def test_non_integer_offset_is_a_clear_error() -> None:
    """An offset must be an integer."""
    with pytest.raises(ScheduleError, match=r"got 1.5"):
        date_rules.month_start("SPY", 1.5)  # type: ignore[call-overload]


def test_offset_given_twice_is_a_clear_error() -> None:
    """month_start(3, 4) gives the offset twice."""
    with pytest.raises(ScheduleError, match="give the offset once"):
        date_rules.month_start(3, 4)  # type: ignore[call-overload]


def test_calendar_month_offset_is_held_inside_the_month() -> None:
    """month_start(30) is the 31st, or the last day of shorter months."""
    days = dates_in(date_rules.month_start(30), date(2000, 1, 1), date(2000, 4, 30))

    assert days == [
        date(2000, 1, 31),
        date(2000, 2, 29),
        date(2000, 3, 31),
        date(2000, 4, 30),
    ]


def test_calendar_month_end_offset_counts_back() -> None:
    """month_end(2) is two days before the month's last day."""
    days = dates_in(date_rules.month_end(2), date(2000, 1, 1), date(2000, 3, 31))

    assert days == [date(2000, 1, 29), date(2000, 2, 27), date(2000, 3, 29)]


def test_week_end_is_friday_and_offset_six_is_the_saturday_before() -> None:
    """week_end() is Friday; week_end(6) is Friday less six days, a Saturday."""
    fridays = dates_in(date_rules.week_end(), date(2000, 1, 1), date(2000, 1, 16))
    saturdays = dates_in(date_rules.week_end(6), date(2000, 1, 1), date(2000, 1, 16))

    assert fridays == [date(2000, 1, 7), date(2000, 1, 14)]
    assert saturdays == [date(2000, 1, 1), date(2000, 1, 8), date(2000, 1, 15)]


def test_symbol_week_start_moves_past_a_monday_holiday() -> None:
    """week_start("SPY") on MLK week 2000 (Monday 17th closed) is Tuesday."""
    days = dates_in(date_rules.week_start("SPY"), date(2000, 1, 10), date(2000, 1, 23))

    assert days == [date(2000, 1, 10), date(2000, 1, 18)]


def test_symbol_week_end_moves_back_from_a_friday_holiday() -> None:
    """week_end("SPY") in Good Friday week 2000 (21 April closed) is Thursday."""
    days = dates_in(date_rules.week_end("SPY"), date(2000, 4, 17), date(2000, 4, 30))

    assert days == [date(2000, 4, 20), date(2000, 4, 28)]


def test_symbol_week_offset_is_held_inside_a_short_week() -> None:
    """week_start("SPY", 4) in a four-day week is its last trading day, Friday."""
    days = dates_in(
        date_rules.week_start("SPY", 4), date(2000, 1, 17), date(2000, 1, 23)
    )

    assert days == [date(2000, 1, 21)]


def test_symbol_month_end_counts_trading_days_back() -> None:
    """month_end("SPY", 1) is the second-last session: 2000-06-29, 2000-07-28."""
    days = dates_in(date_rules.month_end("SPY", 1), date(2000, 6, 1), date(2000, 7, 31))

    assert days == [date(2000, 6, 29), date(2000, 7, 28)]


def test_quarter_and_year_rules_with_a_symbol() -> None:
    """quarter_end("SPY") is the last session of each quarter; year_start("SPY", 1) the second of each year."""
    quarters = dates_in(
        date_rules.quarter_end("SPY"), date(2000, 1, 1), date(2000, 12, 31)
    )
    years = dates_in(
        date_rules.year_start("SPY", 1), date(2000, 1, 1), date(2002, 12, 31)
    )

    assert quarters == [
        date(2000, 3, 31),
        date(2000, 6, 30),
        date(2000, 9, 29),
        date(2000, 12, 29),
    ]
    assert years == [date(2000, 1, 4), date(2001, 1, 3), date(2002, 1, 3)]


def test_calendar_quarter_start_offset() -> None:
    """quarter_start(1) is the 2nd of January, April, July and October."""
    days = dates_in(date_rules.quarter_start(1), date(2000, 1, 1), date(2000, 12, 31))

    assert days == [
        date(2000, 1, 2),
        date(2000, 4, 2),
        date(2000, 7, 2),
        date(2000, 10, 2),
    ]


def test_a_period_already_under_way_still_fires_if_its_day_is_ahead() -> None:
    """month_end() started mid-month fires at that month's end."""
    days = dates_in(date_rules.month_end(), date(2000, 2, 15), date(2000, 3, 31))

    assert days == [date(2000, 2, 29), date(2000, 3, 31)]


# Other date rules


def test_every_weekday_set() -> None:
    """every(MONDAY, FRIDAY) gives Mondays and Fridays only."""
    days = dates_in(
        date_rules.every(MONDAY, FRIDAY), date(2000, 1, 1), date(2000, 1, 14)
    )

    assert days == [
        date(2000, 1, 3),
        date(2000, 1, 7),
        date(2000, 1, 10),
        date(2000, 1, 14),
    ]


def test_every_without_weekdays_or_with_a_bad_one_is_an_error() -> None:
    """every() needs weekdays from 0 to 6."""
    with pytest.raises(ScheduleError, match="one or more weekdays"):
        date_rules.every()
    with pytest.raises(ScheduleError, match=r"got \(7,\)"):
        date_rules.every(7)


def test_on_gives_only_its_dates_from_the_start() -> None:
    """on() yields its dates in order, dropping those before the start."""
    rule = date_rules.on(
        date(2000, 3, 1), datetime(2000, 1, 5, 9, tzinfo=UTC), date(2000, 2, 1)
    )

    assert list(rule.dates(date(2000, 1, 10))) == [date(2000, 2, 1), date(2000, 3, 1)]


def test_on_without_dates_is_an_error() -> None:
    """on() needs at least one date."""
    with pytest.raises(ScheduleError, match="one or more dates"):
        date_rules.on()


def test_today_and_tomorrow_are_relative_to_the_start() -> None:
    """today is the start date; tomorrow the day after."""
    assert list(date_rules.today.dates(date(2000, 1, 3))) == [date(2000, 1, 3)]
    assert list(date_rules.tomorrow.dates(date(2000, 1, 3))) == [date(2000, 1, 4)]


def test_date_rule_from_a_function_drops_days_out_of_order() -> None:
    """A user function's days before the start or out of order are passed over."""

    def odd_days(start: date) -> Iterator[date]:
        yield start - timedelta(days=1)
        yield start
        yield start
        yield start + timedelta(days=2)
        yield start + timedelta(days=1)
        yield start + timedelta(days=5)

    rule = date_rules.from_function(odd_days, name="Odd")

    assert rule.name == "Odd"
    assert list(rule.dates(date(2000, 1, 1))) == [
        date(2000, 1, 1),
        date(2000, 1, 3),
        date(2000, 1, 6),
    ]


def test_date_rule_from_a_function_that_never_gets_going_is_an_error() -> None:
    """A user function stuck before the start raises instead of spinning forever."""
    rule = date_rules.from_function(
        lambda start: itertools.repeat(date(1999, 1, 1)), name="Stuck"
    )

    with pytest.raises(ScheduleError, match="'Stuck'"):
        next(rule.dates(date(2000, 1, 1)))


def test_crypto_and_forex_trading_days() -> None:
    """Crypto trades every day; forex Sunday to Friday."""
    rules = DateRules(markets={"BTCUSD": Market.crypto(), "EURUSD": Market.forex()})
    first, last = date(2000, 1, 1), date(2000, 1, 9)

    assert len(dates_in(rules.every_day("BTCUSD"), first, last)) == 9
    forex_days = dates_in(rules.every_day("EURUSD"), first, last)
    assert SATURDAY not in {day.weekday() for day in forex_days}
    assert len(forex_days) == 7


def test_forex_week_runs_sunday_to_friday() -> None:
    """week_start("EURUSD") is Sunday; week_end("EURUSD") is Friday."""
    rules = DateRules(markets={"EURUSD": Market.forex()})

    starts = dates_in(rules.week_start("EURUSD"), date(2000, 1, 3), date(2000, 1, 16))
    ends = dates_in(rules.week_end("EURUSD"), date(2000, 1, 3), date(2000, 1, 16))

    assert starts == [date(2000, 1, 9), date(2000, 1, 16)]
    assert ends == [date(2000, 1, 7), date(2000, 1, 14)]


def test_nyse_calendar_range_is_a_clear_error() -> None:
    """A US-equity rule beyond its calendar's range says so."""
    with pytest.raises(
        ScheduleError, match="NYSE calendar covers 1990-01-01 to 2100-12-31"
    ):
        next(date_rules.every_day("SPY").dates(date(2101, 1, 1)))


# Time rules


def test_every_interval_restarts_each_midnight() -> None:
    """every(7 hours) fires at 0, 7, 14 and 21 local, as LEAN does."""
    times = time_rules.every(timedelta(hours=7)).times_on(date(2000, 1, 3))

    assert times == [
        utc(2000, 1, 3, 5),
        utc(2000, 1, 3, 12),
        utc(2000, 1, 3, 19),
        utc(2000, 1, 4, 2),
    ]


def test_midnight_and_noon_in_the_rules_zone() -> None:
    """midnight and noon are local to the TimeRules' zone."""
    tokyo = TimeRules("Asia/Tokyo")

    assert tokyo.midnight.times_on(date(2000, 1, 3)) == [utc(2000, 1, 2, 15)]
    assert tokyo.noon.times_on(date(2000, 1, 3)) == [utc(2000, 1, 3, 3)]


def test_at_with_another_zone() -> None:
    """at(8, 0, tz=London) is 08:00 London whatever the rules' zone."""
    assert time_rules.at(8, 0, tz="Europe/London").times_on(date(2000, 1, 3)) == [
        utc(2000, 1, 3, 8)
    ]


def test_at_with_impossible_time_is_a_clear_error() -> None:
    """at(24, 0) is not a time of day."""
    with pytest.raises(ScheduleError, match=r"got 24, 0, 0"):
        time_rules.at(24, 0)


def test_market_rules_do_not_fire_on_closed_days() -> None:
    """after_market_open("SPY") gives nothing on a Saturday or a holiday."""
    rule = time_rules.after_market_open("SPY")

    assert rule.times_on(date(2000, 1, 1)) == []
    assert rule.times_on(date(2000, 7, 4)) == []


def test_market_rules_with_extended_hours() -> None:
    """Extended hours: pre-market opens 04:00, post-market closes 20:00 New York."""
    day = date(2013, 10, 7)

    assert time_rules.after_market_open("SPY", 0, True).times_on(day) == [
        utc(2013, 10, 7, 8)
    ]
    assert time_rules.before_market_open("SPY", 30).times_on(day) == [
        utc(2013, 10, 7, 13)
    ]
    assert time_rules.after_market_close("SPY", 10).times_on(day) == [
        utc(2013, 10, 7, 20, 10)
    ]
    assert time_rules.before_market_close("SPY", 60, True).times_on(day) == [
        utc(2013, 10, 7, 23)
    ]


def test_extended_close_on_an_early_close_day_is_the_early_close() -> None:
    """On 2013-11-29 there is no post-market: the extended close is 13:00."""
    rule = time_rules.before_market_close("SPY", 0, True)

    assert rule.times_on(date(2013, 11, 29)) == [utc(2013, 11, 29, 18)]


def test_market_rule_with_bad_minutes_is_a_clear_error() -> None:
    """Minutes must be a finite number."""
    with pytest.raises(
        ScheduleError,
        match=r"`minutes_after_open` must be a finite number of minutes \(got nan\)",
    ):
        time_rules.after_market_open("SPY", float("nan"))


def test_empty_symbol_is_a_clear_error() -> None:
    """A symbol must be a non-empty string."""
    with pytest.raises(ScheduleError, match="non-empty string"):
        time_rules.after_market_open("")


def test_crypto_opens_each_midnight_and_forex_on_sunday_evening() -> None:
    """Crypto opens at 00:00 UTC daily; forex opens Sunday 17:00 New York only."""
    rules = TimeRules(markets={"BTCUSD": Market.crypto(), "EURUSD": Market.forex()})
    crypto_open = rules.after_market_open("BTCUSD", 5)
    forex_open = rules.after_market_open("EURUSD")
    forex_close = rules.before_market_close("EURUSD", 1)

    assert crypto_open.times_on(date(2000, 1, 4)) == [utc(2000, 1, 4, 0, 5)]
    assert forex_open.times_on(date(2000, 1, 9)) == [utc(2000, 1, 9, 22)]
    assert forex_open.times_on(date(2000, 1, 10)) == []
    assert forex_close.times_on(date(2000, 1, 7)) == [utc(2000, 1, 7, 21, 59)]


def test_union_merges_and_sorts_instants() -> None:
    """union() gives every instant of its rules, sorted, each once."""
    rule = time_rules.union(time_rules.noon, time_rules.at(8), time_rules.at(12))

    assert rule.name == "Noon,8,12"
    assert rule.times_on(date(2000, 1, 3)) == [utc(2000, 1, 3, 13), utc(2000, 1, 3, 17)]


def test_union_of_nothing_is_an_error() -> None:
    """union() needs at least one rule."""
    with pytest.raises(ScheduleError, match="one or more time rules"):
        time_rules.union()


def test_time_rule_from_a_function() -> None:
    """A user time rule gives its instants in UTC; a naive one is an error."""
    rule = time_rules.from_function(
        lambda day: [datetime(day.year, day.month, day.day, 9, tzinfo=NEW_YORK)],
        name="Nine",
    )
    naive = time_rules.from_function(lambda day: [datetime(2000, 1, 1)], name="Naive")

    assert rule.times_on(date(2000, 1, 3)) == [utc(2000, 1, 3, 14)]
    with pytest.raises(
        ScheduleError, match="`Naive fire time` must be time-zone aware"
    ):
        naive.times_on(date(2000, 1, 3))


def test_now_needs_a_start_and_fires_at_it() -> None:
    """now fires at the start on the start day and at its wall time later on."""
    start = utc(2000, 1, 3, 15, 45)
    times = times_until(
        fire_times(date_rules.every_day(), time_rules.now, start), utc(2000, 1, 5)
    )

    assert times == [start, utc(2000, 1, 4, 15, 45)]
    with pytest.raises(ScheduleError, match="needs the schedule's start"):
        time_rules.now.times_on(date(2000, 1, 3))


def test_today_now_fires_once_at_the_start() -> None:
    """today with now fires exactly once, at the start."""
    start = utc(2000, 1, 3, 15, 45)

    assert list(fire_times(date_rules.today, time_rules.now, start)) == [start]


# Fire times, DST and time zones


def test_s1_missing_local_time_fires_at_the_end_of_the_gap() -> None:
    """S1: 02:30 New York on 2013-03-10 does not exist; it fires at 03:00 EDT (07:00Z)."""
    times = fire_times(date_rules.every_day(), time_rules.at(2, 30), utc(2013, 3, 9))

    assert times_until(times, utc(2013, 3, 12)) == [
        utc(2013, 3, 9, 7, 30),
        utc(2013, 3, 10, 7, 0),
        utc(2013, 3, 11, 6, 30),
    ]


def test_s2_ambiguous_local_time_fires_once_at_the_later_instant() -> None:
    """S2: 01:30 New York on 2013-11-03 happens twice; it fires once, at 06:30Z."""
    times = fire_times(date_rules.every_day(), time_rules.at(1, 30), utc(2013, 11, 2))

    assert times_until(times, utc(2013, 11, 5)) == [
        utc(2013, 11, 2, 5, 30),
        utc(2013, 11, 3, 6, 30),
        utc(2013, 11, 4, 6, 30),
    ]


def test_s3_london_sunday_eight_across_both_dst_changes() -> None:
    """S3: Sundays 08:00 London from 2024-03-24 to 2024-11-03: 07:00Z in summer, 08:00Z in winter."""
    rules = DateRules("Europe/London")
    times = fire_times(
        rules.every(SUNDAY), TimeRules("Europe/London").at(8, 0), utc(2024, 3, 24)
    )

    fired = times_until(times, utc(2024, 11, 3, 23))

    assert len(fired) == 33
    assert all(instant.astimezone(LONDON).hour == 8 for instant in fired)
    assert fired[:2] == [utc(2024, 3, 24, 8), utc(2024, 3, 31, 7)]
    assert fired[-2:] == [utc(2024, 10, 27, 8), utc(2024, 11, 3, 8)]
    assert {instant.hour for instant in fired[1:-2]} == {7}


def test_every_interval_across_spring_forward_never_repeats() -> None:
    """every(30 min) on 2013-03-10 New York skips the missing hour without repeats."""
    times = fire_times(
        date_rules.every_day(),
        time_rules.every(timedelta(minutes=30)),
        utc(2013, 3, 10, 5),
    )

    fired = times_until(times, utc(2013, 3, 10, 8))

    assert fired == [
        utc(2013, 3, 10, 5),
        utc(2013, 3, 10, 5, 30),
        utc(2013, 3, 10, 6),
        utc(2013, 3, 10, 6, 30),
        utc(2013, 3, 10, 7),
        utc(2013, 3, 10, 7, 30),
        utc(2013, 3, 10, 8),
    ]


def test_a_fire_time_at_the_start_counts() -> None:
    """An instant equal to the start is the first fire time."""
    times = fire_times(date_rules.every_day(), time_rules.at(12), utc(2000, 1, 3, 17))

    assert next(times) == utc(2000, 1, 3, 17)


def test_rules_that_never_meet_are_a_clear_error() -> None:
    """Market-open rule on Saturdays never fires: an error, not an endless loop."""
    times = fire_times(
        date_rules.every(SATURDAY), time_rules.after_market_open("SPY"), utc(2000, 1, 1)
    )

    with pytest.raises(ScheduleError, match="gave no fire time on 3700 days in a row"):
        next(times)


def test_naive_start_is_a_clear_error() -> None:
    """fire_times() needs an aware start."""
    with pytest.raises(ScheduleError, match="`start` must be time-zone aware"):
        next(fire_times(date_rules.every_day(), time_rules.noon, datetime(2000, 1, 1)))


def test_fifty_year_rule_costs_nothing_until_iterated() -> None:
    """Making and starting a rule over fifty years computes one day at a time."""
    calls: list[date] = []

    def counting(start: date) -> Iterator[date]:
        for offset in range(50 * 366):
            calls.append(start + timedelta(days=offset))
            yield start + timedelta(days=offset)

    rule = date_rules.from_function(counting, name="Counting")
    times = fire_times(rule, time_rules.noon, utc(2000, 1, 1, 12))
    assert calls == []

    next(times)

    assert calls == [date(2000, 1, 1)]


def test_import_aiotrain_does_not_import_pandas() -> None:
    """import aiotrain, and making rules (even symbol rules), loads no pandas."""
    code = (
        "import sys, aiotrain\n"
        "aiotrain.date_rules.month_start('SPY', 5)\n"
        "aiotrain.time_rules.after_market_open('SPY', 30)\n"
        "print('pandas' in sys.modules, 'exchange_calendars' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.split() == ["False", "False"]


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(1995, 1, 1),
        max_value=datetime(2030, 12, 31),
        timezones=st.just(UTC),
    ),
    zone=st.sampled_from(
        ["America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC"]
    ),
    minutes=st.integers(min_value=1, max_value=24 * 60),
)
def test_fire_times_strictly_increase(start: datetime, zone: str, minutes: int) -> None:
    """Fire times are never before the start and each is strictly after the last."""
    rules = TimeRules(zone)
    time_rule = rules.union(
        rules.every(timedelta(minutes=minutes)), rules.at(1, 30), rules.at(2, 30)
    )
    times = list(
        itertools.islice(fire_times(DateRules(zone).every_day(), time_rule, start), 200)
    )

    assert times[0] >= start
    assert all(earlier < later for earlier, later in itertools.pairwise(times))
