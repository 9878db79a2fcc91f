"""Streaming readers of historical trade bars.

Every reader returns an iterator that reads its file row by row, so a
twenty-year hourly history costs the memory of one bar at a time. Rows are
checked as they are read; a bad row raises :class:`~aiotrain.DataError`
naming the file, the line and the offending text.

Sources:

* :func:`read_lean`: LEAN's data folder (zipped, header-less CSV).
* :func:`read_csv`: a plain OHLCV CSV file with a header row.
* :func:`sp500_daily`: the daily S&P 500 history that the ``arch`` package
  ships, so examples run without a data download.

:func:`merge_slices` turns several symbols' bar streams into one stream of
:class:`~aiotrain.Slice` objects in time order.
"""

from __future__ import annotations

import csv
import functools
import gzip
import heapq
import importlib.util
import io
import itertools
import math
import os
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Literal, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ._bars import Slice, TradeBar
from ._errors import DataError

__all__ = [
    "NEW_YORK",
    "Resolution",
    "merge_slices",
    "nyse_close",
    "read_csv",
    "read_lean",
    "sp500_daily",
]

NEW_YORK = ZoneInfo("America/New_York")
"""The time zone of US-equity data and of the NYSE."""

_UTC = ZoneInfo("UTC")
_LEAN_PRICE_SCALE = 10_000.0
_MS_PER_DAY = 86_400_000
_NYSE_CLOSE = time(16, 0)
_CALENDAR_START = "1990-01-01"
_PRICE_NAMES = ("open", "high", "low", "close", "volume")


class Resolution(StrEnum):
    """How much time one bar covers."""

    DAILY = "daily"
    HOUR = "hour"
    MINUTE = "minute"

    @property
    def period(self) -> timedelta:
        """The nominal length of one bar at this resolution."""
        return _PERIODS[self]


_PERIODS = {
    Resolution.DAILY: timedelta(days=1),
    Resolution.HOUR: timedelta(hours=1),
    Resolution.MINUTE: timedelta(minutes=1),
}


def _resolution(value: Resolution | str) -> Resolution:
    try:
        return Resolution(value)
    except ValueError:
        choices = ", ".join(member.value for member in Resolution)
        raise ValueError(
            f"`resolution` must be one of {choices} (got {value!r})"
        ) from None


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


def _row_error(path: Path, line_no: int, problem: str, value: object) -> DataError:
    return DataError(f"{path}, line {line_no}: {problem}: {value!r}")


def _missing(path: Path, what: str) -> DataError:
    return DataError(f"no {what} at {path}")


# --- checked rows ------------------------------------------------------------


@attrs.define(eq=False)
class _RowChecker:
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
        for name, text in zip(_PRICE_NAMES, texts, strict=True):
            if not _is_finite_number(text):
                return _row_error(self.path, line_no, f"{name} is not a number", text)

        return _row_error(self.path, line_no, "a value is too large", ",".join(texts))

    def bar(self, line_no: int, raw: str, bar: TradeBar) -> TradeBar:
        """Reject a bar whose high is below its low or that is out of order."""
        if bar.high < bar.low:
            problem = f"high {bar.high} is below low {bar.low}"
            raise _row_error(self.path, line_no, problem, raw)

        if self.previous is not None and bar.time <= self.previous:
            problem = f"bar time {bar.time.isoformat()} is not after the previous bar's {self.previous.isoformat()}"
            raise _row_error(self.path, line_no, problem, raw)

        self.previous = bar.time
        return bar


def _is_finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


# --- time windows --------------------------------------------------------------


def _lower_bound(start: date | datetime | None, zone: tzinfo) -> datetime | None:
    if start is None:
        return None

    if isinstance(start, datetime):
        return _aware(start, "start")

    return datetime.combine(start, time(), zone)


def _upper_bound(end: date | datetime | None, zone: tzinfo) -> datetime | None:
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


def _clip(
    bars: Iterator[TradeBar], lower: datetime | None, upper: datetime | None
) -> Iterator[TradeBar]:
    """Keep bars starting in ``[lower, upper)``; stop reading at ``upper``."""
    for bar in bars:
        if upper is not None and bar.time >= upper:
            return

        if lower is None or bar.time >= lower:
            yield bar


# --- LEAN zip files --------------------------------------------------------------


def _zip_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Number and yield the lines of the one CSV inside a LEAN zip file."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise _missing(path, "data file") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise DataError(f"{path}: not a readable zip file ({error})") from error

    with archive:
        member = _only_member(archive, path)
        with archive.open(member) as raw:
            yield from _decoded_lines(path, io.TextIOWrapper(raw, encoding="utf-8"))


def _only_member(archive: zipfile.ZipFile, path: Path) -> str:
    names = archive.namelist()
    if len(names) != 1:
        raise DataError(
            f"{path}: a LEAN data zip must hold exactly one file (got {len(names)}: {names!r})"
        )

    return names[0]


def _decoded_lines(path: Path, text: TextIO) -> Iterator[tuple[int, str]]:
    line_no = 0
    try:
        for line_no, line in enumerate(text, start=1):
            yield line_no, line
    except (zipfile.BadZipFile, EOFError, zlib.error, UnicodeDecodeError) as error:
        raise DataError(
            f"{path}, line {line_no + 1}: the file is corrupt or truncated ({error})"
        ) from error


@attrs.frozen
class _LeanLayout:
    """How one kind of LEAN trade file reads: zone, scale, times."""

    zone: ZoneInfo
    price_scale: float
    period: timedelta
    release: Callable[[datetime], datetime]


def _release_after_period(period: timedelta) -> Callable[[datetime], datetime]:
    return lambda start: start + period


def _release_at_nyse_close(start: datetime) -> datetime:
    return nyse_close(start.date())


def _layout(asset: str, resolution: Resolution) -> _LeanLayout:
    period = resolution.period
    if asset == "equity":
        daily = resolution is Resolution.DAILY
        release = _release_at_nyse_close if daily else _release_after_period(period)
        return _LeanLayout(NEW_YORK, _LEAN_PRICE_SCALE, period, release)

    return _LeanLayout(_UTC, 1.0, period, _release_after_period(period))


def _parse_stamp(text: str, zone: ZoneInfo) -> datetime:
    """``YYYYMMDD HH:mm`` as an aware datetime."""
    if len(text) != 14 or text[8] != " " or text[11] != ":":
        raise ValueError("expected YYYYMMDD HH:mm")

    year, month, day = int(text[0:4]), int(text[4:6]), int(text[6:8])
    return datetime(year, month, day, int(text[9:11]), int(text[12:14]), tzinfo=zone)


def _parse_milliseconds(text: str, midnight: datetime) -> datetime:
    """Milliseconds since the file's local midnight as an aware datetime."""
    milliseconds = int(text)
    if not 0 <= milliseconds < _MS_PER_DAY:
        raise ValueError("expected milliseconds since midnight")

    return midnight + timedelta(milliseconds=milliseconds)


def _lean_file_bars(
    path: Path, symbol: str, layout: _LeanLayout, day: date | None
) -> Iterator[TradeBar]:
    """The bars of one LEAN trade zip; ``day`` is set for minute files."""
    checker = _RowChecker(path)
    midnight = None if day is None else datetime.combine(day, time(), layout.zone)
    for line_no, line in _zip_lines(path):
        raw = line.rstrip("\r\n")
        if raw.strip():
            start, values = _lean_row(checker, line_no, raw, layout.zone, midnight)
            bar = _lean_bar(symbol, start, values, layout)
            yield checker.bar(line_no, raw, bar)


def _lean_row(
    checker: _RowChecker,
    line_no: int,
    raw: str,
    zone: ZoneInfo,
    midnight: datetime | None,
) -> tuple[datetime, list[float]]:
    fields = raw.split(",")
    if len(fields) != 6:
        problem = f"expected 6 fields, found {len(fields)}"
        raise _row_error(checker.path, line_no, problem, raw)

    try:
        if midnight is None:
            start = _parse_stamp(fields[0], zone)
        else:
            start = _parse_milliseconds(fields[0], midnight)
    except ValueError as error:
        raise _row_error(
            checker.path, line_no, f"bad time ({error})", fields[0]
        ) from None

    return start, checker.numbers(line_no, fields[1:])


def _lean_bar(
    symbol: str, start: datetime, values: list[float], layout: _LeanLayout
) -> TradeBar:
    scale = layout.price_scale
    open_, high, low, close, volume = values
    return TradeBar(
        symbol=symbol,
        time=start,
        end_time=layout.release(start),
        open=open_ / scale,
        high=high / scale,
        low=low / scale,
        close=close / scale,
        volume=volume,
        period=layout.period,
    )


def _lean_folder(data_dir: Path, asset: str, market: str | None) -> Path:
    if asset not in ("equity", "crypto"):
        raise ValueError(f"`asset` must be 'equity' or 'crypto' (got {asset!r})")

    default_market = "usa" if asset == "equity" else "coinbase"
    return data_dir / asset / (market or default_market)


def _single_file(folder: Path, asset: str, ticker: str) -> Path:
    suffix = "" if asset == "equity" else "_trade"
    path = folder / f"{ticker}{suffix}.zip"
    if not path.is_file():
        raise _missing(path, "data file")

    return path


def _minute_files(
    folder: Path, lower: datetime | None, upper: datetime | None
) -> list[tuple[date, Path]]:
    """The ``YYYYMMDD_trade.zip`` files of a minute folder inside the window."""
    if not folder.is_dir():
        raise _missing(folder, "minute data folder")

    first = None if lower is None else lower.date()
    last = None if upper is None else upper.date()
    days = []
    for path in folder.glob("*_trade.zip"):
        day = _file_date(path)
        if (first is None or day >= first) and (last is None or day <= last):
            days.append((day, path))

    return sorted(days)


def _file_date(path: Path) -> date:
    stamp = path.name.removesuffix("_trade.zip")
    try:
        return datetime.strptime(stamp, "%Y%m%d").date()
    except ValueError:
        raise DataError(
            f"{path}: a minute file name must be YYYYMMDD_trade.zip"
        ) from None


def _chained_days(
    files: list[tuple[date, Path]], symbol: str, layout: _LeanLayout
) -> Iterator[TradeBar]:
    for day, path in files:
        yield from _lean_file_bars(path, symbol, layout, day)


def read_lean(
    data_dir: str | os.PathLike[str],
    symbol: str,
    resolution: Resolution | str = Resolution.DAILY,
    *,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    asset: Literal["equity", "crypto"] = "equity",
    market: str | None = None,
) -> Iterator[TradeBar]:
    """Stream the trade bars of one symbol from a LEAN data folder.

    Reads ``<data_dir>/equity/usa/{daily,hour}/<sym>.zip`` and
    ``<data_dir>/equity/usa/minute/<sym>/<YYYYMMDD>_trade.zip`` (for crypto:
    ``crypto/coinbase/{daily,hour}/<sym>_trade.zip`` and
    ``crypto/coinbase/minute/<sym>/<YYYYMMDD>_trade.zip``). Equity prices are
    divided by 10,000 and times are New York time; crypto prices are used as
    they are and times are UTC.

    A bar's ``time`` is its start as written in the file. Its ``end_time``
    is when it becomes known: start plus one hour or one minute; for a
    daily US-equity bar the NYSE close of its date (16:00 New York, 13:00 on
    early-close days, see :func:`nyse_close`); for a daily crypto bar the
    next UTC midnight.

    The file is read lazily, one row per bar, and closed when the iterator
    is exhausted or discarded.

    Args:
        data_dir: The LEAN ``Data`` folder (holding ``equity/``).
        symbol: The ticker in any case; bars carry it upper-cased.
        resolution: ``"daily"``, ``"hour"`` or ``"minute"``.
        start: Keep bars starting at or after this instant; a date stands
            for its midnight in the data's time zone.
        end: Keep bars starting at or before this instant; a date includes
            its whole day.
        asset: ``"equity"`` or ``"crypto"``.
        market: The market folder; default ``"usa"`` for equities and
            ``"coinbase"`` for crypto.

    Returns:
        An iterator of bars in time order.

    Raises:
        DataError: The file or minute folder is missing (raised at once, not
            on the first ``next``), or, while iterating, a file is corrupt,
            truncated or malformed.
        ValueError: A bad ``resolution`` or ``asset``, or a naive datetime.
    """
    chosen = _resolution(resolution)
    layout = _layout(asset, chosen)
    lower = _lower_bound(start, layout.zone)
    upper = _upper_bound(end, layout.zone)
    folder = _lean_folder(Path(data_dir), asset, market) / chosen.value
    ticker = symbol.lower()

    if chosen is Resolution.MINUTE:
        files = _minute_files(folder / ticker, lower, upper)
        bars = _chained_days(files, symbol.upper(), layout)
    else:
        path = _single_file(folder, asset, ticker)
        bars = _lean_file_bars(path, symbol.upper(), layout, None)

    return _clip(bars, lower, upper)


# --- plain CSV -------------------------------------------------------------------


@attrs.frozen
class _CsvColumns:
    """Where the needed columns sit in a plain OHLCV CSV file."""

    width: int
    stamp: int
    daily: bool
    prices: tuple[int, ...]


def _csv_columns(path: Path, header: list[str]) -> _CsvColumns:
    names = [name.strip().lower() for name in header]
    stamp_name = "datetime" if "datetime" in names else "date"
    missing = [name for name in (stamp_name, *_PRICE_NAMES) if name not in names]
    if missing:
        problem = f"the header lacks {', '.join(missing)}"
        raise _row_error(path, 1, problem, ",".join(header))

    prices = tuple(names.index(name) for name in _PRICE_NAMES)
    daily = stamp_name == "date"
    return _CsvColumns(len(names), names.index(stamp_name), daily, prices)


def _zone(tz: str | tzinfo) -> tzinfo:
    if not isinstance(tz, str):
        return tz

    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"`tz` is an unknown time zone (got {tz!r})") from None


def _open_text(path: Path) -> TextIO:
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rt", encoding="utf-8-sig", newline="")

        return path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise _missing(path, "data file") from None


@attrs.frozen
class _CsvStyle:
    """How to read the times of a plain CSV file."""

    zone: tzinfo
    period: timedelta | None
    date_format: str | None
    calendar: Literal["XNYS"] | None


def _csv_date(text: str, date_format: str | None) -> date:
    if date_format is None:
        return date.fromisoformat(text)

    return datetime.strptime(text, date_format).date()


def _csv_datetime(text: str, style: _CsvStyle) -> datetime:
    if style.date_format is None:
        parsed = datetime.fromisoformat(text)
    else:
        parsed = datetime.strptime(text, style.date_format)

    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=style.zone)


def _daily_times(day: date, style: _CsvStyle) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), style.zone)
    if style.calendar is None:
        return start, datetime.combine(day + timedelta(days=1), time(), style.zone)

    return start, nyse_close(day).astimezone(style.zone)


def _csv_times(
    text: str, columns: _CsvColumns, style: _CsvStyle
) -> tuple[datetime, datetime, timedelta]:
    if columns.daily:
        start, end = _daily_times(_csv_date(text, style.date_format), style)
        return start, end, style.period or timedelta(days=1)

    period = style.period or timedelta(0)
    start = _csv_datetime(text, style)
    return start, start + period, period


def _csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Number and yield the non-empty rows of a CSV file, header included."""
    line_no = 0
    with _open_text(path) as text:
        rows = csv.reader(text)
        try:
            for row in rows:
                line_no = rows.line_num
                if row:
                    yield line_no, row
        except (csv.Error, OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
            raise DataError(
                f"{path}, line {line_no + 1}: the file is corrupt or truncated ({error})"
            ) from error


def _csv_bars(path: Path, symbol: str, style: _CsvStyle) -> Iterator[TradeBar]:
    checker = _RowChecker(path)
    records = _csv_records(path)
    _, header = next(records, (1, []))
    columns = _csv_columns(path, header)
    _require_period(path, columns, style)
    for line_no, row in records:
        bar = _csv_bar(checker, line_no, row, columns, style, symbol)
        yield checker.bar(line_no, ",".join(row), bar)


def _require_period(path: Path, columns: _CsvColumns, style: _CsvStyle) -> None:
    if not columns.daily and style.period is None:
        raise ValueError(
            f"{path} has a datetime column: pass `period`, the length of one bar"
        )


def _csv_bar(
    checker: _RowChecker,
    line_no: int,
    row: list[str],
    columns: _CsvColumns,
    style: _CsvStyle,
    symbol: str,
) -> TradeBar:
    if len(row) != columns.width:
        problem = f"expected {columns.width} fields, found {len(row)}"
        raise _row_error(checker.path, line_no, problem, ",".join(row))

    stamp = row[columns.stamp]
    try:
        start, end_time, period = _csv_times(stamp, columns, style)
    except ValueError as error:
        raise _row_error(checker.path, line_no, f"bad date ({error})", stamp) from None

    values = checker.numbers(line_no, [row[index] for index in columns.prices])
    open_, high, low, close, volume = values
    return TradeBar(symbol, start, end_time, open_, high, low, close, volume, period)


def read_csv(
    path: str | os.PathLike[str],
    symbol: str,
    *,
    tz: str | tzinfo = NEW_YORK,
    period: timedelta | None = None,
    date_format: str | None = None,
    calendar: Literal["XNYS"] | None = "XNYS",
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> Iterator[TradeBar]:
    """Stream the trade bars of a plain OHLCV CSV file with a header row.

    The header must name a ``date`` or ``datetime`` column and ``open``,
    ``high``, ``low``, ``close`` and ``volume`` (any case; other columns are
    ignored). A ``.gz`` file is decompressed on the fly.

    With a ``date`` column every row is a daily bar starting at midnight in
    ``tz``. It is released (``end_time``) at the NYSE close of its date
    (``calendar="XNYS"``, see :func:`nyse_close`), or at the next midnight in
    ``tz`` (``calendar=None``, for markets that never close). With a
    ``datetime`` column each row is a bar starting at that instant (naive
    values are in ``tz``) and released ``period`` later.

    Args:
        path: The CSV file.
        symbol: The symbol the bars carry, as given.
        tz: The time zone of the file's dates; default New York.
        period: The length of one bar; required with a ``datetime`` column,
            default one day with a ``date`` column.
        date_format: A ``strptime`` format for the date column; default
            ISO 8601 (``2021-03-31``, ``2021-03-31 09:30``).
        calendar: ``"XNYS"`` or ``None``, see above.
        start: Keep bars starting at or after this instant; a date stands
            for its midnight in ``tz``.
        end: Keep bars starting at or before this instant; a date includes
            its whole day.

    Returns:
        An iterator of bars in time order; the file opens on the first
        ``next`` and closes when the iterator is exhausted or discarded.

    Raises:
        DataError: At once: the file is missing. While iterating: the
            header lacks a column, or a row is malformed.
        ValueError: At once: a naive ``start`` or ``end``, or an unknown
            ``tz`` name. While iterating:
            a ``datetime`` column and no ``period``.
    """
    zone = _zone(tz)
    style = _CsvStyle(zone, period, date_format, calendar)
    lower = _lower_bound(start, zone)
    upper = _upper_bound(end, zone)
    source = Path(path)
    if not source.is_file():
        raise _missing(source, "data file")

    return _clip(_csv_bars(source, symbol, style), lower, upper)


# --- embedded data -------------------------------------------------------------


def _arch_sp500_path() -> Path:
    spec = importlib.util.find_spec("arch")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            'the embedded S&P 500 history ships with the `arch` package: pip install "aiotrain[example]"',
            name="arch",
        )

    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return package_dir / "data" / "sp500" / "sp500.csv.gz"


def sp500_daily(
    *, start: date | datetime | None = None, end: date | datetime | None = None
) -> Iterator[TradeBar]:
    """Stream the daily S&P 500 index history embedded with ``arch``.

    5,031 daily bars of the S&P 500 index, 1999-01-04 to 2018-12-31, read
    straight from the file inside the installed ``arch`` package (which is
    not imported). Bars carry the symbol ``"SPX"``, start at midnight New
    York time and are released at the NYSE close of their date. Prices are
    index points, not adjusted (the index pays no dividends); volume is the
    file's share volume.

    Args:
        start: Keep bars starting at or after this instant or date.
        end: Keep bars starting at or before this instant or date.

    Returns:
        An iterator of bars in time order.

    Raises:
        ModuleNotFoundError: ``arch`` is not installed; install it with
            ``pip install "aiotrain[example]"``.
    """
    path = _arch_sp500_path()
    return read_csv(path, "SPX", date_format="%m/%d/%Y", start=start, end=end)


# --- several symbols -------------------------------------------------------------


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
