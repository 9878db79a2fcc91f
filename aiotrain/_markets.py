"""Market calendars: the days a market trades and when it opens and closes.

US equities follow the New York Stock Exchange calendar of the optional
``exchange_calendars`` package (holidays, early closes, late opens). That
package pulls in pandas, so it is imported on the first question about a
trading day, never by ``import aiotrain``. Crypto trades around the clock;
forex trades from Sunday 17:00 to Friday 17:00 New York time. Neither has
holidays, so both are plain rules.
"""

from __future__ import annotations

import abc
import warnings
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, ClassVar, final
from zoneinfo import ZoneInfo

from ._errors import ScheduleError

__all__ = ["Market", "local_instant", "market_for", "resolve_local"]

NEW_YORK = ZoneInfo("America/New_York")

#: Python weekday numbers (Monday is 0) in the order of a trading week that
#: starts on Sunday, the order LEAN uses to find a market's first weekday.
WEEK_ORDER = (6, 0, 1, 2, 3, 4, 5)

_CALENDAR_FIRST_DAY = date(1990, 1, 1)
_CALENDAR_LAST_DAY = date(2100, 12, 31)


def local_instant(day: date, clock_time: time, zone: tzinfo) -> datetime:
    """The UTC instant of a wall-clock time on ``day`` in ``zone``."""
    return resolve_local(datetime.combine(day, clock_time), zone)


def resolve_local(wall: datetime, zone: tzinfo) -> datetime:
    """The UTC instant of the naive wall time ``wall`` in ``zone``.

    A wall time that happens twice (clocks turned back) resolves to the later
    instant; one that never happens (clocks turned forward) resolves to the
    first instant after the gap, the moment the clocks jumped.
    """
    earlier = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    later = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if earlier == later:
        return earlier

    if earlier.astimezone(zone).replace(tzinfo=None) == wall:
        return max(earlier, later)

    return _transition_between(min(earlier, later), max(earlier, later), zone)


def _transition_between(low: datetime, high: datetime, zone: tzinfo) -> datetime:
    """The first whole second in ``(low, high]`` that has ``high``'s UTC offset."""
    target_offset = high.astimezone(zone).utcoffset()
    low_second, high_second = 0, int((high - low).total_seconds())
    while high_second - low_second > 1:
        middle = (low_second + high_second) // 2
        instant = low + timedelta(seconds=middle)
        if instant.astimezone(zone).utcoffset() == target_offset:
            high_second = middle
        else:
            low_second = middle

    return low + timedelta(seconds=high_second)


class Market(abc.ABC):
    """Where a symbol trades: its time zone, trading days and sessions.

    Use the ready-made markets (:meth:`us_equity`, :meth:`crypto`,
    :meth:`forex`) and map symbols to them when making rules, as in
    ``DateRules(markets={"BTCUSD": Market.crypto()})``. Symbols missing from
    such a map trade as US equities. Every method answers at once; the first
    question to :meth:`us_equity` loads its calendar (about half a second).
    """

    _shared: ClassVar[dict[str, Market]] = {}

    name: str
    time_zone: tzinfo
    trading_weekdays: tuple[int, ...]

    @staticmethod
    def us_equity() -> Market:
        """US stocks and ETFs: NYSE sessions, pre-market from 04:00, post-market to 20:00."""
        return Market._shared_instance("us_equity", _NyseMarket)

    @staticmethod
    def crypto() -> Market:
        """A market that never closes: each UTC day is one session."""
        return Market._shared_instance("crypto", _AlwaysOpen)

    @staticmethod
    def forex() -> Market:
        """Currencies: one session a week, Sunday 17:00 to Friday 17:00 New York."""
        return Market._shared_instance("forex", _ForexMarket)

    @staticmethod
    def _shared_instance(key: str, factory: type[Market]) -> Market:
        if key not in Market._shared:
            Market._shared[key] = factory()

        return Market._shared[key]

    @abc.abstractmethod
    def is_trading_day(self, day: date) -> bool:
        """Whether the market is open at some time of ``day`` (a local date).

        Raises:
            ScheduleError: ``day`` lies outside the calendar's known range.
        """

    @abc.abstractmethod
    def market_open(self, day: date, *, extended: bool = False) -> datetime | None:
        """The instant (UTC) the market opens on ``day``, or ``None`` if it does not.

        A market that was already open at the start of ``day`` does not open
        on it, except one that never closes, which opens at each midnight.
        """

    @abc.abstractmethod
    def market_close(self, day: date, *, extended: bool = False) -> datetime | None:
        """The instant (UTC) the market closes on ``day``, or ``None`` if it does not."""

    def __repr__(self) -> str:
        return f"<Market {self.name}>"


@final
class _NyseMarket(Market):
    """NYSE sessions from exchange_calendars' XNYS, loaded on first use."""

    _PRE_MARKET_OPEN = time(4, 0)
    _REGULAR_CLOSE = time(16, 0)
    _POST_MARKET_CLOSE = time(20, 0)

    def __init__(self) -> None:
        self.name = "us_equity"
        self.time_zone = NEW_YORK
        self.trading_weekdays = (0, 1, 2, 3, 4)
        self._sessions: dict[date, tuple[datetime, datetime]] | None = None

    def is_trading_day(self, day: date) -> bool:
        return self._session(day) is not None

    def market_open(self, day: date, *, extended: bool = False) -> datetime | None:
        session = self._session(day)
        if session is None:
            return None

        if extended:
            return local_instant(day, self._PRE_MARKET_OPEN, NEW_YORK)

        return session[0]

    def market_close(self, day: date, *, extended: bool = False) -> datetime | None:
        session = self._session(day)
        if session is None:
            return None

        regular_close = local_instant(day, self._REGULAR_CLOSE, NEW_YORK)
        if extended and session[1] >= regular_close:
            return local_instant(day, self._POST_MARKET_CLOSE, NEW_YORK)

        return session[1]

    def _session(self, day: date) -> tuple[datetime, datetime] | None:
        if not _CALENDAR_FIRST_DAY <= day <= _CALENDAR_LAST_DAY:
            raise ScheduleError(
                f"the NYSE calendar covers {_CALENDAR_FIRST_DAY} to {_CALENDAR_LAST_DAY} (got {day})"
            )

        if self._sessions is None:
            self._sessions = _load_sessions("XNYS")

        return self._sessions.get(day)


def _load_sessions(code: str) -> dict[date, tuple[datetime, datetime]]:
    """Every session of calendar ``code``, by local date, as UTC open and close.

    Deprecation warnings that exchange_calendars' own use of pandas raises
    while the calendar is built concern that package, not the caller, and
    are silenced.
    """
    try:
        import exchange_calendars
    except ImportError:
        raise ScheduleError(
            "rules with a US-equity symbol need exchange_calendars: pip install 'aiotrain[calendars]'"
        ) from None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        calendar = exchange_calendars.get_calendar(
            code,
            start=_CALENDAR_FIRST_DAY.isoformat(),
            end=_CALENDAR_LAST_DAY.isoformat(),
        )
        schedule = calendar.schedule

    return {
        label.date(): (_as_utc(opens), _as_utc(closes))
        for label, opens, closes in zip(
            schedule.index, schedule["open"], schedule["close"], strict=True
        )
    }


def _as_utc(timestamp: Any) -> datetime:
    instant: datetime = timestamp.to_pydatetime()
    return instant.astimezone(UTC)


@final
class _AlwaysOpen(Market):
    """Every day trades, from UTC midnight to the next: crypto, and plain days."""

    def __init__(self, name: str = "crypto") -> None:
        self.name = name
        self.time_zone = UTC
        self.trading_weekdays = WEEK_ORDER

    def is_trading_day(self, day: date) -> bool:
        return True

    def market_open(self, day: date, *, extended: bool = False) -> datetime | None:
        return local_instant(day, time(0), UTC)

    def market_close(self, day: date, *, extended: bool = False) -> datetime | None:
        return local_instant(day + timedelta(days=1), time(0), UTC)


@final
class _ForexMarket(Market):
    _SUNDAY = 6
    _FRIDAY = 4
    _SATURDAY = 5
    _ROLLOVER = time(17, 0)

    def __init__(self) -> None:
        self.name = "forex"
        self.time_zone = NEW_YORK
        self.trading_weekdays = (6, 0, 1, 2, 3, 4)

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() != self._SATURDAY

    def market_open(self, day: date, *, extended: bool = False) -> datetime | None:
        if day.weekday() != self._SUNDAY:
            return None

        return local_instant(day, self._ROLLOVER, NEW_YORK)

    def market_close(self, day: date, *, extended: bool = False) -> datetime | None:
        if day.weekday() != self._FRIDAY:
            return None

        return local_instant(day, self._ROLLOVER, NEW_YORK)


#: The plain calendar: every day counts, for the rules without a symbol.
CALENDAR_DAYS: Market = _AlwaysOpen("calendar")


def market_for(symbol: str, markets: Mapping[str, Market]) -> Market:
    """The market of ``symbol``: its entry in ``markets``, else US equities.

    Raises:
        ScheduleError: ``symbol`` is not a non-empty string.
    """
    if not isinstance(symbol, str) or not symbol:
        raise ScheduleError(f"`symbol` must be a non-empty string (got {symbol!r})")

    return markets.get(symbol) or Market.us_equity()
