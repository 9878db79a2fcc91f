"""Reading LEAN's data folder: zipped, header-less trade CSV files."""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal, TextIO
from zoneinfo import ZoneInfo

import attrs

from ._bars import TradeBar
from ._errors import DataError
from ._reader_base import (
    NEW_YORK,
    RowChecker,
    clip,
    lower_bound,
    missing_error,
    nyse_close,
    row_error,
    upper_bound,
)

__all__ = ["Resolution", "read_lean"]

_UTC = ZoneInfo("UTC")
_LEAN_PRICE_SCALE = 10_000.0
_MS_PER_DAY = 86_400_000


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


def _zip_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Number and yield the lines of the one CSV inside a LEAN zip file."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise missing_error(path, "data file") from None
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
    checker = RowChecker(path)
    midnight = None if day is None else datetime.combine(day, time(), layout.zone)
    for line_no, line in _zip_lines(path):
        raw = line.rstrip("\r\n")
        if raw.strip():
            start, values = _lean_row(checker, line_no, raw, layout.zone, midnight)
            bar = _lean_bar(symbol, start, values, layout)
            yield checker.bar(line_no, raw, bar)


def _lean_row(
    checker: RowChecker,
    line_no: int,
    raw: str,
    zone: ZoneInfo,
    midnight: datetime | None,
) -> tuple[datetime, list[float]]:
    fields = raw.split(",")
    if len(fields) != 6:
        problem = f"expected 6 fields, found {len(fields)}"
        raise row_error(checker.path, line_no, problem, raw)

    try:
        if midnight is None:
            start = _parse_stamp(fields[0], zone)
        else:
            start = _parse_milliseconds(fields[0], midnight)
    except ValueError as error:
        raise row_error(
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
        raise missing_error(path, "data file")

    return path


def _minute_files(
    folder: Path, lower: datetime | None, upper: datetime | None
) -> list[tuple[date, Path]]:
    """The ``YYYYMMDD_trade.zip`` files of a minute folder inside the window."""
    if not folder.is_dir():
        raise missing_error(folder, "minute data folder")

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
    lower = lower_bound(start, layout.zone)
    upper = upper_bound(end, layout.zone)
    folder = _lean_folder(Path(data_dir), asset, market) / chosen.value
    ticker = symbol.lower()

    if chosen is Resolution.MINUTE:
        files = _minute_files(folder / ticker, lower, upper)
        bars = _chained_days(files, symbol.upper(), layout)
    else:
        path = _single_file(folder, asset, ticker)
        bars = _lean_file_bars(path, symbol.upper(), layout, None)

    return clip(bars, lower, upper)
