"""Tests for trade bars, slices and the streaming data readers."""

from __future__ import annotations

import gzip
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from aiotrain import (
    DataError,
    Resolution,
    Slice,
    TradeBar,
    merge_slices,
    read_csv,
    read_lean,
    sp500_daily,
)
from aiotrain._reader_base import _nyse_early_closes, nyse_close

NEW_YORK = ZoneInfo("America/New_York")
LEAN_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lean"

needs_lean_data = pytest.mark.skipif(
    not (LEAN_DATA / "equity" / "usa" / "daily" / "spy.zip").is_file(),
    reason=f"LEAN sample data not found at {LEAN_DATA}",
)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A New York datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def make_bar(symbol: str, end_time: datetime) -> TradeBar:
    """A one-day bar of ``symbol`` released at ``end_time``."""
    start = end_time - timedelta(hours=16)
    return TradeBar(
        symbol, start, end_time, 1.0, 2.0, 0.5, 1.5, 100.0, timedelta(days=1)
    )


# --- real LEAN data --------------------------------------------------------------


@needs_lean_data
def test_spy_daily_bar_of_2021_03_31() -> None:
    """SPY's last daily bar is scaled by 10,000 and released at the 16:00 close."""
    last = list(read_lean(LEAN_DATA, "spy", "daily", start=date(2021, 3, 31)))

    assert last == [
        TradeBar(
            symbol="SPY",
            time=ny(2021, 3, 31),
            end_time=ny(2021, 3, 31, 16, 0),
            open=395.35,
            high=398.0,
            low=395.33,
            close=396.33,
            volume=90673494.0,
            period=timedelta(days=1),
        )
    ]


@needs_lean_data
def test_daily_bars_are_released_at_the_close_and_early_on_half_days() -> None:
    """A daily bar ends at 16:00 New York, and at 13:00 on 2013-11-29."""
    bars = read_lean(LEAN_DATA, "SPY", start=date(2013, 11, 27), end=date(2013, 12, 2))

    assert [bar.end_time for bar in bars] == [
        ny(2013, 11, 27, 16, 0),
        ny(2013, 11, 29, 13, 0),
        ny(2013, 12, 2, 16, 0),
    ]


def test_without_exchange_calendars_every_close_is_at_1600() -> None:
    """Without exchange_calendars, even an early-close day closes at 16:00."""
    _nyse_early_closes.cache_clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "exchange_calendars", None)
        without_calendar = nyse_close(date(2013, 11, 29))
    _nyse_early_closes.cache_clear()

    assert without_calendar == ny(2013, 11, 29, 16, 0)
    assert nyse_close(date(2013, 11, 29)) == ny(2013, 11, 29, 13, 0)


@needs_lean_data
def test_aapl_minute_bars_keep_new_york_times() -> None:
    """AAPL's minute file of 2014-06-09 reads as New York times, pre-market first."""
    bars = list(read_lean(LEAN_DATA, "aapl", Resolution.MINUTE, end=date(2014, 6, 9)))
    day = [bar for bar in bars if bar.time.date() == date(2014, 6, 9)]
    regular = [bar for bar in day if bar.time >= ny(2014, 6, 9, 9, 30)]

    assert len(day) == 834
    assert day[0].time == ny(2014, 6, 9, 4, 0)
    assert regular[0] == TradeBar(
        symbol="AAPL",
        time=ny(2014, 6, 9, 9, 30),
        end_time=ny(2014, 6, 9, 9, 31),
        open=92.69,
        high=92.95,
        low=92.5,
        close=92.72,
        volume=2467914.0,
        period=timedelta(minutes=1),
    )
    assert day[-1].time == ny(2014, 6, 9, 19, 59)


@needs_lean_data
@pytest.mark.parametrize(
    ("day", "bar_count"),
    [
        (date(1998, 1, 2), 7),
        (date(2008, 10, 10), 7),
        (date(2013, 11, 29), 4),
        (date(2021, 3, 31), 7),
    ],
)
def test_hour_bars_add_up_to_the_daily_bar(day: date, bar_count: int) -> None:
    """A day's hour bars match its daily bar in open, close and volume."""
    hours = list(read_lean(LEAN_DATA, "spy", "hour", start=day, end=day))
    (daily,) = read_lean(LEAN_DATA, "spy", "daily", start=day, end=day)

    assert len(hours) == bar_count
    assert hours[0].open == daily.open
    assert hours[-1].close == daily.close
    assert sum(bar.volume for bar in hours) == daily.volume
    assert hours[0].time == ny(day.year, day.month, day.day, 9, 0)
    assert hours[0].end_time == ny(day.year, day.month, day.day, 10, 0)
    assert hours[-1].end_time == daily.end_time


@needs_lean_data
def test_crypto_minute_and_daily_bars_are_utc_and_unscaled() -> None:
    """Coinbase BTCUSD bars are read in UTC with prices as written."""
    first_minute = next(read_lean(LEAN_DATA, "btcusd", "minute", asset="crypto"))
    last_day = list(
        read_lean(LEAN_DATA, "BTCUSD", "daily", asset="crypto", start=date(2018, 8, 13))
    )

    assert first_minute == TradeBar(
        "BTCUSD",
        datetime(2016, 10, 7, 0, 0, tzinfo=UTC),
        datetime(2016, 10, 7, 0, 1, tzinfo=UTC),
        611.78,
        611.91,
        611.78,
        611.9,
        1.13872,
        timedelta(minutes=1),
    )
    assert [(bar.close, bar.end_time) for bar in last_day] == [
        (6253.67, datetime(2018, 8, 14, tzinfo=UTC))
    ]


@needs_lean_data
def test_datetime_window_is_inclusive_at_both_ends() -> None:
    """start and end as aware datetimes keep bars starting inside, ends included."""
    bars = read_lean(
        LEAN_DATA,
        "spy",
        "hour",
        start=ny(2021, 3, 31, 10, 0),
        end=datetime(2021, 3, 31, 16, 0, tzinfo=UTC),
    )

    assert [bar.time.hour for bar in bars] == [10, 11, 12]


@needs_lean_data
def test_reading_every_spy_hour_bar_keeps_memory_small() -> None:
    """All 40,832 SPY hour bars stream through under 1 MB of peak allocation."""
    bars = read_lean(LEAN_DATA, "spy", "hour")
    tracemalloc.start()
    try:
        count = sum(1 for _ in bars)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert isinstance(bars, Iterator)
    assert count == 40_832
    assert peak < 1_000_000


@needs_lean_data
def test_merge_slices_groups_symbols_by_release_time() -> None:
    """Two symbols' daily bars merge into one slice per close, in time order."""
    first, last = date(2013, 11, 27), date(2013, 11, 29)
    spy = read_lean(LEAN_DATA, "spy", start=first, end=last)
    ibm = read_lean(LEAN_DATA, "ibm", start=first, end=last)

    slices = list(merge_slices(spy, ibm))

    assert [data.time for data in slices] == [
        ny(2013, 11, 27, 16, 0),
        ny(2013, 11, 29, 13, 0),
    ]
    assert [sorted(data) for data in slices] == [["IBM", "SPY"], ["IBM", "SPY"]]
    assert slices[1]["SPY"].close == 180.93


@needs_lean_data
def test_merge_slices_interleaves_hour_and_daily_streams() -> None:
    """An hour stream of one symbol and a daily stream of another interleave."""
    day = date(2021, 3, 31)
    slices = list(
        merge_slices(
            read_lean(LEAN_DATA, "spy", "hour", start=day, end=day),
            read_lean(LEAN_DATA, "aapl", "daily", start=day, end=day),
        )
    )

    assert [data.time.hour for data in slices] == [10, 11, 12, 13, 14, 15, 16]
    assert [len(data) for data in slices] == [1, 1, 1, 1, 1, 1, 2]
    assert slices[-1]["AAPL"].close == 122.15


@needs_lean_data
def test_reading_intraday_bars_does_not_import_pandas() -> None:
    """import aiotrain and reading hour bars load neither pandas nor calendars."""
    script = (
        "import sys, aiotrain\n"
        f"next(aiotrain.read_lean({str(LEAN_DATA)!r}, 'spy', 'hour'))\n"
        "print(sorted({'pandas', 'exchange_calendars'} & set(sys.modules)))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stdout == "[]\n"


# --- the embedded S&P 500 history -------------------------------------------------


def test_sp500_history_spans_1999_to_2018() -> None:
    """The S&P 500 file of arch holds 5,031 daily bars, 1999-01-04 to 2018-12-31."""
    bars = list(sp500_daily())

    assert len(bars) == 5_031
    assert bars[0] == TradeBar(
        "SPX",
        ny(1999, 1, 4),
        ny(1999, 1, 4, 16, 0),
        1229.22998,
        1248.810059,
        1219.099976,
        1228.099976,
        877_000_000.0,
        timedelta(days=1),
    )
    assert bars[-1].time == ny(2018, 12, 31)
    assert bars[-1].close == 2506.850098


def test_sp500_window_and_early_close() -> None:
    """sp500_daily filters by date and releases 2018-11-23 at 13:00."""
    bars = list(sp500_daily(start=date(2018, 11, 21), end=date(2018, 11, 23)))

    assert [bar.end_time for bar in bars] == [
        ny(2018, 11, 21, 16, 0),
        ny(2018, 11, 23, 13, 0),
    ]


def test_sp500_without_arch_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without arch installed, the error names the extra to install."""
    monkeypatch.setitem(sys.modules, "arch", None)

    with pytest.raises(ModuleNotFoundError) as caught:
        sp500_daily()

    assert 'pip install "aiotrain[example]"' in str(caught.value)
    assert caught.value.name == "arch"


# --- TradeBar and Slice ------------------------------------------------------------


def test_slice_reads_like_a_read_only_mapping() -> None:
    """A slice supports [], in, iteration, len and get, and copies its input."""
    when = ny(2021, 3, 31, 16, 0)
    spy, ibm = make_bar("SPY", when), make_bar("IBM", when)
    given = {"SPY": spy, "IBM": ibm}
    data = Slice(when, given)
    given.clear()

    assert data["SPY"] is spy
    assert "IBM" in data
    assert "AAPL" not in data
    assert list(data) == ["SPY", "IBM"]
    assert len(data) == 2
    assert data.get("AAPL") is None
    with pytest.raises(KeyError, match="AAPL"):
        data["AAPL"]
    with pytest.raises(TypeError):
        data.bars["AAPL"] = spy  # type: ignore[index]


def test_merge_slices_rejects_two_bars_of_one_symbol_at_once() -> None:
    """Two streams of the same symbol released together are a DataError."""
    when = ny(2021, 3, 31, 16, 0)

    with pytest.raises(DataError) as caught:
        list(merge_slices([make_bar("SPY", when)], [make_bar("SPY", when)]))

    assert (
        str(caught.value) == "two bars of SPY are released at 2021-03-31T16:00:00-04:00"
    )


def test_merge_slices_rejects_a_stream_that_goes_back_in_time() -> None:
    """An unordered input stream is reported, not silently reordered."""
    late, early = ny(2021, 3, 31, 16, 0), ny(2021, 3, 30, 16, 0)

    with pytest.raises(DataError) as caught:
        list(merge_slices([make_bar("SPY", late), make_bar("SPY", early)]))

    assert str(caught.value) == (
        "a bar stream is out of order: bars released at 2021-03-30T16:00:00-04:00"
        " come after 2021-03-31T16:00:00-04:00"
    )


# --- bad LEAN files ----------------------------------------------------------------


def write_zip(path: Path, members: dict[str, str]) -> Path:
    """Write ``members`` (name to text) into a deflated zip at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)

    return path


def write_daily(root: Path, *lines: str) -> Path:
    """Write a one-member LEAN daily zip for SPY under ``root``."""
    path = root / "equity" / "usa" / "daily" / "spy.zip"
    return write_zip(path, {"spy.csv": "\n".join(lines)})


GOOD_ROW = "20210330 00:00,3943500,3957800,3930299,3947300,66174457"


def read_error(root: Path, resolution: str = "daily") -> str:
    """The message of the DataError raised while reading SPY from ``root``."""
    with pytest.raises(DataError) as caught:
        list(read_lean(root, "spy", resolution))

    return str(caught.value)


def test_a_missing_daily_file_names_the_path(tmp_path: Path) -> None:
    """read_lean raises at once, naming the file it looked for."""
    expected = tmp_path / "equity" / "usa" / "daily" / "spy.zip"

    with pytest.raises(DataError) as caught:
        read_lean(tmp_path, "SPY")

    assert str(caught.value) == f"no data file at {expected}"


def test_a_missing_minute_folder_names_the_path(tmp_path: Path) -> None:
    """A symbol without a minute folder is reported with that folder's path."""
    expected = tmp_path / "equity" / "usa" / "minute" / "spy"

    with pytest.raises(DataError) as caught:
        read_lean(tmp_path, "SPY", "minute")

    assert str(caught.value) == f"no minute data folder at {expected}"


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    """Bytes that are no zip archive are a DataError naming the file."""
    path = tmp_path / "equity" / "usa" / "daily" / "spy.zip"
    path.parent.mkdir(parents=True)
    path.write_text(GOOD_ROW)

    assert read_error(tmp_path) == (
        f"{path}: not a readable zip file (File is not a zip file)"
    )


def test_a_truncated_zip(tmp_path: Path) -> None:
    """A zip cut short loses its directory and is reported by file name."""
    path = write_daily(tmp_path, GOOD_ROW)
    path.write_bytes(path.read_bytes()[:40])

    assert read_error(tmp_path) == (
        f"{path}: not a readable zip file (File is not a zip file)"
    )


def test_a_zip_whose_data_is_corrupt(tmp_path: Path) -> None:
    """Damaged data is reported at the line being read when the check failed."""
    path = tmp_path / "equity" / "usa" / "daily" / "spy.zip"
    path.parent.mkdir(parents=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("spy.csv", GOOD_ROW)
    damaged = path.read_bytes().replace(b"3943500", b"3943501")
    path.write_bytes(damaged)

    assert read_error(tmp_path) == (
        f"{path}, line 1: the file is corrupt or truncated (Bad CRC-32 for file 'spy.csv')"
    )


@pytest.mark.parametrize(
    ("members", "count"),
    [({}, "0: []"), ({"a.csv": GOOD_ROW, "b.csv": GOOD_ROW}, "2: ['a.csv', 'b.csv']")],
)
def test_a_zip_must_hold_exactly_one_member(
    tmp_path: Path, members: dict[str, str], count: str
) -> None:
    """A zip with no CSV or with two is a DataError listing what it holds."""
    path = write_zip(tmp_path / "equity" / "usa" / "daily" / "spy.zip", members)

    assert read_error(tmp_path) == (
        f"{path}: a LEAN data zip must hold exactly one file (got {count})"
    )


@pytest.mark.parametrize(
    ("bad_row", "problem"),
    [
        (
            "20210331 00:00,3953500,3980000,3953300,3963300",
            "expected 6 fields, found 5: '20210331 00:00,3953500,3980000,3953300,3963300'",
        ),
        (
            "20210331 00:00,3953500,39800x0,3953300,3963300,90673494",
            "high is not a number: '39800x0'",
        ),
        (
            "20210331 00:00,3953500,3980000,3953300,nan,90673494",
            "close is not a number: 'nan'",
        ),
        (
            "2021-03-31,3953500,3980000,3953300,3963300,90673494",
            "bad time (expected YYYYMMDD HH:mm): '2021-03-31'",
        ),
        (
            "20210231 00:00,3953500,3980000,3953300,3963300,90673494",
            "bad time (day is out of range for month): '20210231 00:00'",
        ),
        (
            "20210331 00:00,3953500,3953300,3980000,3963300,90673494",
            "high 395.33 is below low 398.0: '20210331 00:00,3953500,3953300,3980000,3963300,90673494'",
        ),
        (
            "20210329 00:00,3953500,3980000,3953300,3963300,90673494",
            "bar time 2021-03-29T00:00:00-04:00 is not after the previous bar's 2021-03-30T00:00:00-04:00: '20210329 00:00,3953500,3980000,3953300,3963300,90673494'",
        ),
        (
            GOOD_ROW,
            f"bar time 2021-03-30T00:00:00-04:00 is not after the previous bar's 2021-03-30T00:00:00-04:00: '{GOOD_ROW}'",
        ),
    ],
)
def test_a_bad_daily_row_names_file_line_and_value(
    tmp_path: Path, bad_row: str, problem: str
) -> None:
    """Each kind of bad row is reported with its file, line number and text."""
    path = write_daily(tmp_path, GOOD_ROW, bad_row)

    assert read_error(tmp_path) == f"{path}, line 2: {problem}"


def test_a_bad_minute_row_names_the_day_file(tmp_path: Path) -> None:
    """Milliseconds past midnight beyond one day are a bad time."""
    path = tmp_path / "equity" / "usa" / "minute" / "spy" / "20131004_trade.zip"
    rows = ["34200000,1,2,1,2,10", "86400000,1,2,1,2,10"]
    write_zip(path, {"20131004_spy_minute_trade.csv": "\n".join(rows)})

    assert read_error(tmp_path, "minute") == (
        f"{path}, line 2: bad time (expected milliseconds since midnight): '86400000'"
    )


def test_good_rows_stream_before_a_bad_one(tmp_path: Path) -> None:
    """Bars before a bad row are yielded; the error comes when it is reached."""
    write_daily(tmp_path, GOOD_ROW, "garbage")
    bars = read_lean(tmp_path, "spy")

    assert next(bars).close == 394.73
    with pytest.raises(DataError, match="line 2: expected 6 fields, found 1"):
        next(bars)


def test_bad_arguments_are_value_errors(tmp_path: Path) -> None:
    """A bad resolution, asset or naive datetime is a ValueError naming it."""
    with pytest.raises(
        ValueError,
        match=r"`resolution` must be one of daily, hour, minute \(got 'weekly'\)",
    ):
        read_lean(tmp_path, "spy", "weekly")
    with pytest.raises(
        ValueError, match=r"`asset` must be 'equity' or 'crypto' \(got 'forex'\)"
    ):
        read_lean(tmp_path, "spy", asset="forex")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError,
        match=r"`start` must be a date or an aware datetime \(got naive 2021-03-31T00:00:00\)",
    ):
        read_lean(tmp_path, "spy", start=datetime(2021, 3, 31))


# --- plain CSV ------------------------------------------------------------------------


def write_csv(path: Path, *lines: str) -> Path:
    """Write ``lines`` as a text file at ``path``."""
    path.write_text("\n".join(lines) + "\n")
    return path


def test_csv_daily_rows_are_released_at_the_nyse_close(tmp_path: Path) -> None:
    """A date column gives daily bars released at 16:00, or 13:00 on half days."""
    path = write_csv(
        tmp_path / "spy.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume",
        "2013-11-27,181.0,182.0,180.0,181.5,170.0,1000",
        "2013-11-29,181.34,181.75,180.8,180.93,170.1,2000",
    )

    bars = list(read_csv(path, "SPY"))

    assert bars[1] == TradeBar(
        "SPY",
        ny(2013, 11, 29),
        ny(2013, 11, 29, 13, 0),
        181.34,
        181.75,
        180.8,
        180.93,
        2000.0,
        timedelta(days=1),
    )
    assert bars[0].end_time == ny(2013, 11, 27, 16, 0)


def test_csv_in_utc_without_a_calendar_closes_at_midnight(tmp_path: Path) -> None:
    """With tz="UTC" and calendar=None a daily bar is known at the next midnight."""
    path = write_csv(
        tmp_path / "btc.csv.gz",
        "date,open,high,low,close,volume",
        "2018-08-13,6316,6544.99,6139.57,6253.67,10178.43146644",
    )
    path.write_bytes(gzip.compress(path.read_bytes()))

    (bar,) = read_csv(path, "BTCUSD", tz="UTC", calendar=None)

    assert (bar.time, bar.end_time) == (
        datetime(2018, 8, 13, tzinfo=ZoneInfo("UTC")),
        datetime(2018, 8, 14, tzinfo=ZoneInfo("UTC")),
    )


def test_csv_datetime_rows_need_a_period(tmp_path: Path) -> None:
    """A datetime column gives intraday bars ending one period after they start."""
    path = write_csv(
        tmp_path / "spy.csv",
        "datetime,open,high,low,close,volume",
        "2021-03-31 09:30,395.35,395.5,395.3,395.4,1000",
        "2021-03-31T09:31:00-04:00,395.4,395.6,395.4,395.5,900",
    )

    bars = list(read_csv(path, "SPY", period=timedelta(minutes=1)))

    assert [(bar.time, bar.end_time) for bar in bars] == [
        (ny(2021, 3, 31, 9, 30), ny(2021, 3, 31, 9, 31)),
        (ny(2021, 3, 31, 9, 31), ny(2021, 3, 31, 9, 32)),
    ]
    with pytest.raises(ValueError, match="has a datetime column: pass `period`"):
        list(read_csv(path, "SPY"))


def csv_error(path: Path) -> str:
    """The message of the DataError raised while reading ``path`` as CSV."""
    with pytest.raises(DataError) as caught:
        list(read_csv(path, "SPY"))

    return str(caught.value)


@pytest.mark.parametrize(
    ("bad_row", "problem"),
    [
        ("2021-03-31,1,2,1", "expected 6 fields, found 4: '2021-03-31,1,2,1'"),
        ("2021-03-31,1,2,1,2,lots", "volume is not a number: 'lots'"),
        (
            "31/03/2021,1,2,1,2,10",
            "bad date (Invalid isoformat string: '31/03/2021'): '31/03/2021'",
        ),
        ("2021-03-31,1,1,2,2,10", "high 1.0 is below low 2.0: '2021-03-31,1,1,2,2,10'"),
        (
            "2021-03-29,1,2,1,2,10",
            "bar time 2021-03-29T00:00:00-04:00 is not after the previous bar's 2021-03-30T00:00:00-04:00: '2021-03-29,1,2,1,2,10'",
        ),
    ],
)
def test_a_bad_csv_row_names_file_line_and_value(
    tmp_path: Path, bad_row: str, problem: str
) -> None:
    """Each kind of bad CSV row is reported with its file, line and text."""
    header = "date,open,high,low,close,volume"
    path = write_csv(tmp_path / "spy.csv", header, "2021-03-30,1,2,1,2,10", bad_row)

    assert csv_error(path) == f"{path}, line 3: {problem}"


def test_a_csv_header_without_needed_columns(tmp_path: Path) -> None:
    """A header that lacks a column names the missing ones on line 1."""
    path = write_csv(tmp_path / "spy.csv", "Date,Open,Close", "2021-03-30,1,2")

    assert csv_error(path) == (
        f"{path}, line 1: the header lacks high, low, volume: 'Date,Open,Close'"
    )


def test_a_missing_csv_file_names_the_path(tmp_path: Path) -> None:
    """read_csv raises at once for a missing file, naming the path looked for."""
    path = tmp_path / "nowhere.csv"

    with pytest.raises(DataError) as caught:
        read_csv(path, "SPY")

    assert str(caught.value) == f"no data file at {path}"


def test_a_truncated_gzip_csv(tmp_path: Path) -> None:
    """A gzip file cut short is a DataError naming the file."""
    path = tmp_path / "spy.csv.gz"
    rows = ["date,open,high,low,close,volume"] + [
        f"2021-03-{d:02},1,2,1,2,10" for d in range(1, 29)
    ]
    path.write_bytes(gzip.compress("\n".join(rows).encode())[:-20])

    message = csv_error(path)

    assert message.startswith(f"{path}, line ")
    assert message.endswith(
        "the file is corrupt or truncated (Compressed file ended before the end-of-stream marker was reached)"
    )
