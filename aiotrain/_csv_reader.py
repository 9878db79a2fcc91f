"""Reading a plain OHLCV CSV file with a header row, optionally gzipped."""

from __future__ import annotations

import csv
import gzip
import os
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Literal, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ._bars import TradeBar
from ._errors import DataError
from ._reader_base import (
    NEW_YORK,
    PRICE_NAMES,
    RowChecker,
    clip,
    lower_bound,
    missing_error,
    nyse_close,
    row_error,
    upper_bound,
)

__all__ = ["read_csv"]


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
    missing = [name for name in (stamp_name, *PRICE_NAMES) if name not in names]
    if missing:
        problem = f"the header lacks {', '.join(missing)}"
        raise row_error(path, 1, problem, ",".join(header))

    prices = tuple(names.index(name) for name in PRICE_NAMES)
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
        raise missing_error(path, "data file") from None


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
    checker = RowChecker(path)
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
    checker: RowChecker,
    line_no: int,
    row: list[str],
    columns: _CsvColumns,
    style: _CsvStyle,
    symbol: str,
) -> TradeBar:
    if len(row) != columns.width:
        problem = f"expected {columns.width} fields, found {len(row)}"
        raise row_error(checker.path, line_no, problem, ",".join(row))

    stamp = row[columns.stamp]
    try:
        start, end_time, period = _csv_times(stamp, columns, style)
    except ValueError as error:
        raise row_error(checker.path, line_no, f"bad date ({error})", stamp) from None

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
    lower = lower_bound(start, zone)
    upper = upper_bound(end, zone)
    source = Path(path)
    if not source.is_file():
        raise missing_error(source, "data file")

    return clip(_csv_bars(source, symbol, style), lower, upper)
