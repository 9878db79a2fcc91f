"""What every reader of trade bars shares.

Readers stream their file row by row, so a twenty-year hourly history costs
the memory of one bar at a time. Rows are checked as they are read; a bad row
raises :class:`~aiotrain.DataError` naming the file, the line and the
offending text. This module holds that checking, the ``start``/``end``
window every reader takes, and the NYSE close at which a daily US-equity bar
becomes known.

The readers: :func:`~aiotrain.read_lean` (``_lean_reader``) for LEAN's data
folder, :func:`~aiotrain.read_csv` (``_csv_reader``) for a plain OHLCV file
and :func:`~aiotrain.sp500_daily` (``_embedded``) for the history shipped
with ``arch``. :func:`~aiotrain.merge_slices` (``_merge``) joins their
streams into slices.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs

from ._bars import TradeBar
from ._errors import DataError

__all__ = [
    "NEW_YORK",
    "PRICE_NAMES",
    "RowChecker",
    "clip",
    "lower_bound",
    "missing_error",
    "nyse_close",
    "row_error",
    "upper_bound",
]

NEW_YORK = ZoneInfo("America/New_York")
"""The time zone of US-equity data and of the NYSE."""

#: The price and volume columns of a bar, in the order files hold them.
PRICE_NAMES = ("open", "high", "low", "close", "volume")

_NYSE_CLOSE = time(16, 0)
_CALENDAR_START = "1990-01-01"


# --- when a daily bar becomes known ------------------------------------------


@functools.cache
def _nyse_early_closes() -> dict[date, time]:
    """Early-close sessions of the NYSE, with their New York close times.

    Empty when ``exchange_calendars`` is not installed, so every session then
    closes at 16:00. Deprecation warnings that the calendar's own use of
    pandas raises while it is built are silenced: they concern that package,
    not the caller.
    """
    try:
        import exchange_calendars
    except ImportError:
        return {}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        calendar = exchange_calendars.get_calendar("XNYS", start=_CALENDAR_START)
        closes = calendar.schedule.loc[calendar.early_closes, "close"]

    return {
        session.date(): close.tz_convert(NEW_YORK.key).time()
        for session, close in closes.items()
    }


def nyse_close(day: date) -> datetime:
    """When the NYSE session of ``day`` closes, in New York time.

    16:00, or the early close (13:00) on days such as the Friday after
    Thanksgiving. Early closes come from ``exchange_calendars`` (calendar
    ``XNYS`` from 1990 on), loaded on the first call; without that package
    every day closes at 16:00, which releases early-close bars up to three
    hours late but never early.

    Args:
        day: A session date.

    Returns:
        The close as an aware datetime in New York time.
    """
    close = _nyse_early_closes().get(day, _NYSE_CLOSE)
    return datetime.combine(day, close, NEW_YORK)


# --- errors --------------------------------------------------------------------


def row_error(path: Path, line_no: int, problem: str, value: object) -> DataError:
    return DataError(f"{path}, line {line_no}: {problem}: {value!r}")


def missing_error(path: Path, what: str) -> DataError:
    return DataError(f"no {what} at {path}")


# --- checked rows ------------------------------------------------------------


@attrs.define(eq=False)
class RowChecker:
    """Checks the rows of one file as they stream past."""

    path: Path
    previous: datetime | None = None

    def numbers(self, line_no: int, texts: Sequence[str]) -> list[float]:
        """Open, high, low, close and volume as finite floats."""
        try:
            values = [float(text) for text in texts]
        except ValueError:
            values = []

        if len(values) != len(texts) or not math.isfinite(sum(values)):
            raise self._number_error(line_no, texts)

        return values

    def _number_error(self, line_no: int, texts: Sequence[str]) -> DataError:
        for name, text in zip(PRICE_NAMES, texts, strict=True):
            if not _is_finite_number(text):
                return row_error(self.path, line_no, f"{name} is not a number", text)

        return row_error(self.path, line_no, "a value is too large", ",".join(texts))

    def bar(self, line_no: int, raw: str, bar: TradeBar) -> TradeBar:
        """Reject a bar whose high is below its low or that is out of order."""
        if bar.high < bar.low:
            problem = f"high {bar.high} is below low {bar.low}"
            raise row_error(self.path, line_no, problem, raw)

        if self.previous is not None and bar.time <= self.previous:
            problem = f"bar time {bar.time.isoformat()} is not after the previous bar's {self.previous.isoformat()}"
            raise row_error(self.path, line_no, problem, raw)

        self.previous = bar.time
        return bar


def _is_finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


# --- time windows --------------------------------------------------------------


def lower_bound(start: date | datetime | None, zone: tzinfo) -> datetime | None:
    if start is None:
        return None

    if isinstance(start, datetime):
        return _aware(start, "start")

    return datetime.combine(start, time(), zone)


def upper_bound(end: date | datetime | None, zone: tzinfo) -> datetime | None:
    """The first bar start past the window (``end`` itself is inside)."""
    if end is None:
        return None

    if isinstance(end, datetime):
        return _aware(end, "end") + timedelta.resolution

    return datetime.combine(end + timedelta(days=1), time(), zone)


def _aware(when: datetime, name: str) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(
            f"`{name}` must be a date or an aware datetime (got naive {when.isoformat()})"
        )

    return when


def clip(
    bars: Iterator[TradeBar], lower: datetime | None, upper: datetime | None
) -> Iterator[TradeBar]:
    """Keep bars starting in ``[lower, upper)``; stop reading at ``upper``."""
    for bar in bars:
        if upper is not None and bar.time >= upper:
            return

        if lower is None or bar.time >= lower:
            yield bar
