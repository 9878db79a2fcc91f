"""Every bad input we tried, the error it gets, and the table in docs/ made from them.

Each case names an area, describes the input in words, performs it, and
states the exception type and a fragment of its message. One parametrized
test checks every case; another renders ``docs/bad-inputs.md`` from the same
list and the messages actually raised, and fails when the committed page is
stale. Regenerate the page with::

    python -m tests.test_bad_inputs

or run the tests with ``AIOTRAIN_REGENERATE=1`` set.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
import os
import sqlite3
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from aiotrain import (
    AiotrainError,
    Algorithm,
    ClockError,
    ConfigError,
    DataError,
    LeakyBucket,
    ManualClock,
    MemoryStore,
    ModelNotReady,
    ModelSlot,
    QuotaConfig,
    QuotaStoreError,
    RealClock,
    ScheduleError,
    Scheduler,
    Slice,
    SqliteStore,
    StrategyError,
    TradeBar,
    Trainer,
    TrainingFailed,
    TrainingRun,
    backtest,
    date_rules,
    read_csv,
    read_lean,
    time_rules,
)

PAGE = Path(__file__).parents[1] / "docs" / "bad-inputs.md"
REGENERATE = "AIOTRAIN_REGENERATE"
TMP = "<tmp>"
CAPACITY_KEY = "scheduled-event-leaky-bucket-capacity"
INTERVAL_KEY = "scheduled-event-leaky-bucket-time-interval-minutes"
HEADER = "date,open,high,low,close,volume\n"
LEAN_ROW = "20131007 00:00,1650000,1660000,1640000,1655000,100\n"
CLOSE = datetime(2024, 1, 2, 21, tzinfo=UTC)
DAY = timedelta(days=1)


class ExitStatus(Exception):
    """The ``aiotrain`` command ended with a non-zero exit code."""


@attrs.frozen
class Case:
    """One bad input: where, what, how to perform it, and the error expected."""

    area: str
    given: str
    perform: Callable[[Path], object]
    error: type[BaseException]
    fragment: str


# --- helpers that perform the inputs ---------------------------------------------


def untyped(value: object) -> Any:
    """``value`` hidden from the type checker, to pass where a type is wrong."""
    return value


def lean_config(text: str | bytes) -> Callable[[Path], object]:
    def perform(tmp: Path) -> object:
        path = tmp / "config.json"
        data = text.encode("utf-8") if isinstance(text, str) else text
        path.write_bytes(data)
        return QuotaConfig.from_lean_config(path)

    return perform


def csv_file(text: str | bytes, **options: object) -> Callable[[Path], object]:
    def perform(tmp: Path) -> object:
        path = tmp / "bars.csv"
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return list(read_csv(path, "X", calendar=None, **options))  # type: ignore[arg-type]

    return perform


def lean_zip(
    members: dict[str, str] | None = None, raw: bytes | None = None
) -> Callable[[Path], object]:
    def perform(tmp: Path) -> object:
        folder = tmp / "equity" / "usa" / "daily"
        folder.mkdir(parents=True)
        path = folder / "spy.zip"
        if raw is not None:
            path.write_bytes(raw)
        else:
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, content in (members or {}).items():
                    archive.writestr(name, content)
        return list(read_lean(tmp, "SPY"))

    return perform


def truncated_lean_zip(tmp: Path) -> object:
    """A LEAN zip cut off in the middle of its compressed data."""
    whole = io.BytesIO()
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as archive:
        day = date(2013, 10, 7)
        rows = (
            f"{day + timedelta(days=n):%Y%m%d} 00:00,{n},{n + 2},{n},{n + 1},{n}\n"
            for n in range(2000)
        )
        archive.writestr("spy.csv", "".join(rows))
    data = whole.getvalue()
    return lean_zip(raw=data[: len(data) // 2])(tmp)


def consume(tokens: int) -> Callable[[Path], object]:
    async def wait() -> None:
        await LeakyBucket(3, 1, 1, clock=ManualClock()).consume(tokens)

    return lambda tmp: asyncio.run(wait())


def slot_on_two_loops(tmp: Path) -> object:
    """Wait on one slot from loop A, then from loop B while A still runs."""
    slot: ModelSlot[int] = ModelSlot("direction")
    first = asyncio.new_event_loop()
    try:
        waiting = first.create_task(slot.wait_ready())
        first.run_until_complete(asyncio.sleep(0))
        try:
            return asyncio.run(slot.wait_ready())
        finally:
            slot.publish(1)
            first.run_until_complete(waiting)
    finally:
        first.close()


def train(function: object) -> Callable[[Path], object]:
    async def run() -> object:
        clock = ManualClock()
        trainer = Trainer(LeakyBucket(120, 0, 86_400, clock=clock), clock=clock)
        return await trainer.run(function)  # type: ignore[arg-type]

    return lambda tmp: asyncio.run(run())


def result_of_failed_run(tmp: Path) -> object:
    async def fit() -> None:
        raise RuntimeError("no data")

    async def run() -> object:
        clock = ManualClock()
        finished: TrainingRun = await Trainer(clock=clock).run(fit, name="fit")
        return finished.result

    return asyncio.run(run())


async def fail_to_fit() -> None:
    raise KeyboardInterrupt("fit interrupted")


def sqlite_store(
    prepare: Callable[[Path], Path], config: QuotaConfig | None = None
) -> Callable[[Path], object]:
    def perform(tmp: Path) -> object:
        path = prepare(tmp)
        chosen = config or QuotaConfig()
        return chosen.make_bucket(ManualClock(), store=SqliteStore(path))

    return perform


def junk_file(tmp: Path) -> Path:
    path = tmp / "quota.db"
    path.write_bytes(b"not a database " * 100)
    return path


def store_of_default_quota(tmp: Path) -> Path:
    path = tmp / "quota.db"
    QuotaConfig().make_bucket(ManualClock(), store=SqliteStore(path))
    return path


def store_with_text_level(tmp: Path) -> Path:
    path = store_of_default_quota(tmp)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE quota SET level = 'full'")
        connection.commit()
    return path


def bar_slice(when: datetime) -> Slice:
    return Slice(when, {"X": TradeBar("X", when - DAY, when, 1, 2, 0.5, 1.5, 10, DAY)})


def run_backtest(
    algorithm: Algorithm | type[Algorithm],
    data: Iterable[Slice] | None = None,
    **options: object,
) -> Callable[[Path], object]:
    def perform(tmp: Path) -> object:
        strategy = algorithm() if isinstance(algorithm, type) else algorithm
        slices = [bar_slice(CLOSE)] if data is None else data
        return asyncio.run(
            backtest(strategy, slices, real_clock=ManualClock(), **options)  # type: ignore[arg-type]
        )

    return perform


class RaisesInInitialize(Algorithm):
    async def initialize(self) -> None:
        raise KeyError("SPY")


class RaisesInOnData(Algorithm):
    async def on_data(self, data: Slice) -> None:
        raise ZeroDivisionError("division by zero")


class RaisesInOnEnd(Algorithm):
    async def on_end(self) -> None:
        raise OSError("disk full")


class SyncOnData(Algorithm):
    def on_data(self, data: Slice) -> None:  # type: ignore[override]
        return None


class TrainsSomethingUncallable(Algorithm):
    async def initialize(self) -> None:
        await self.train("fit")  # type: ignore[call-overload]


class TrainingRaises(Algorithm):
    async def initialize(self) -> None:
        def fit() -> None:
            raise ValueError("too few rows")

        await self.train(fit, name="fit")


def run_twice(tmp: Path) -> object:
    algorithm = Algorithm()
    run_backtest(algorithm)(tmp)
    return run_backtest(algorithm)(tmp)


def remove_foreign_event(tmp: Path) -> object:
    async def action(occurrence: object) -> None:
        return None

    clock = ManualClock(datetime(2024, 1, 1, tzinfo=UTC))
    event = Scheduler(clock).add(date_rules.every_day(), time_rules.at(8), action)
    Scheduler(clock).remove(event)
    return event


def command(*argv: str) -> Callable[[Path], object]:
    """Run the ``aiotrain`` command; a non-zero exit becomes :class:`ExitStatus`."""

    def perform(tmp: Path) -> object:
        from aiotrain._cli import main

        arguments = [part.replace(TMP, str(tmp)) for part in argv]
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stderr):
            code = main(arguments)
        if code:
            lines = stderr.getvalue().strip().splitlines()
            raise ExitStatus(f"exit {code}: {lines[-1] if lines else ''}")
        return code

    return perform


def strategy_file(tmp: Path) -> Path:
    path = tmp / "strategy.py"
    path.write_text(
        "import aiotrain\n\nclass Quiet(aiotrain.Algorithm):\n    pass\n",
        encoding="utf-8",
    )
    return path


def command_with_strategy(*argv: str) -> Callable[[Path], object]:
    def perform(tmp: Path) -> object:
        strategy_file(tmp)
        return command(*argv)(tmp)

    return perform


def _set_earlier(tmp: Path) -> object:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.set(datetime(2025, 12, 31, tzinfo=UTC))
    return clock


# --- the cases -------------------------------------------------------------------

CASES = [
    # config
    Case(
        "config",
        "QuotaConfig(capacity=-5)",
        lambda tmp: QuotaConfig(capacity=-5),
        ConfigError,
        "`capacity` must be positive (got -5)",
    ),
    Case(
        "config",
        "QuotaConfig(refill_interval_minutes=0)",
        lambda tmp: QuotaConfig(refill_interval_minutes=0),
        ConfigError,
        "`refill_interval_minutes` must be positive (got 0)",
    ),
    Case(
        "config",
        'QuotaConfig(capacity="120"), a string',
        lambda tmp: QuotaConfig(capacity=untyped("120")),
        ConfigError,
        "`capacity` must be a number (got '120')",
    ),
    Case(
        "config",
        "QuotaConfig(refill_amount=nan)",
        lambda tmp: QuotaConfig(refill_amount=math.nan),
        ConfigError,
        "`refill_amount` must be a number (got nan)",
    ),
    Case(
        "config",
        "QuotaConfig(capacity=10**400), too large for a float",
        lambda tmp: QuotaConfig(capacity=10**400),
        ConfigError,
        "in float range (got an integer of 401 digits)",
    ),
    Case(
        "config",
        "LEAN key capacity -5",
        lambda tmp: QuotaConfig.from_lean_config({CAPACITY_KEY: -5}),
        ConfigError,
        f"config key {CAPACITY_KEY!r} must be non-negative (got -5)",
    ),
    Case(
        "config",
        'LEAN key capacity "ten"',
        lambda tmp: QuotaConfig.from_lean_config({CAPACITY_KEY: "ten"}),
        ConfigError,
        f"config key {CAPACITY_KEY!r} must be a number (got 'ten')",
    ),
    Case(
        "config",
        'LEAN key interval "0", a string of zero',
        lambda tmp: QuotaConfig.from_lean_config({INTERVAL_KEY: "0"}),
        ConfigError,
        "must be positive (got '0')",
    ),
    Case(
        "config",
        "LEAN key capacity holding a nested object",
        lambda tmp: QuotaConfig.from_lean_config({CAPACITY_KEY: {"minutes": 120}}),
        ConfigError,
        "must be a number (got {'minutes': 120})",
    ),
    Case(
        "config",
        "LEAN key capacity true",
        lambda tmp: QuotaConfig.from_lean_config({CAPACITY_KEY: True}),
        ConfigError,
        "must be a number (got True)",
    ),
    Case(
        "config",
        "config file that is empty",
        lean_config(""),
        ConfigError,
        "is not valid JSON (Expecting value at line 1, column 1)",
    ),
    Case(
        "config",
        "config file path that is a directory",
        lambda tmp: QuotaConfig.from_lean_config(tmp),
        ConfigError,
        "cannot read config file '<tmp>': Is a directory",
    ),
    Case(
        "config",
        "config file that does not exist",
        lambda tmp: QuotaConfig.from_lean_config(tmp / "config.json"),
        ConfigError,
        "No such file or directory",
    ),
    Case(
        "config",
        "config file holding a JSON list",
        lean_config("[120]"),
        ConfigError,
        "must hold a JSON object (got list)",
    ),
    Case(
        "config",
        "config file with a Latin-1 byte",
        lean_config(b'{"note": "caf\xe9"}'),
        ConfigError,
        "is not UTF-8 text (byte 0xe9 at position 13 is not valid)",
    ),
    Case(
        "config",
        "config file with a trailing comma",
        lean_config('{\n  "a": 1,\n}'),
        ConfigError,
        "at line 3, column 1",
    ),
    Case(
        "config",
        "config file with capacity NaN",
        lean_config(f'{{"{CAPACITY_KEY}": NaN}}'),
        ConfigError,
        "must be a number (got nan)",
    ),
    # bucket
    Case(
        "bucket",
        "LeakyBucket(capacity=0)",
        lambda tmp: LeakyBucket(0, 1, 1),
        ValueError,
        "`capacity` must be positive (got 0)",
    ),
    Case(
        "bucket",
        "LeakyBucket(refill_amount=-1)",
        lambda tmp: LeakyBucket(3, -1, 1),
        ValueError,
        "`refill_amount` must be non-negative (got -1)",
    ),
    Case(
        "bucket",
        "LeakyBucket(refill_interval=0)",
        lambda tmp: LeakyBucket(3, 1, 0),
        ValueError,
        "`refill_interval` must be positive (got 0)",
    ),
    Case(
        "bucket",
        'LeakyBucket(capacity="3")',
        lambda tmp: LeakyBucket(untyped("3"), 1, 1),
        ValueError,
        "`capacity` must be a number (got '3')",
    ),
    Case(
        "bucket",
        "try_consume(0)",
        lambda tmp: LeakyBucket(3, 1, 1).try_consume(0),
        ValueError,
        "`tokens` must be positive (got 0)",
    ),
    Case(
        "bucket",
        "try_consume(4) on a bucket of 3",
        lambda tmp: LeakyBucket(3, 1, 1).try_consume(4),
        ValueError,
        "`tokens` must be at most the capacity 3 (got 4)",
    ),
    Case(
        "bucket",
        "try_consume(1.5)",
        lambda tmp: LeakyBucket(3, 1, 1).try_consume(untyped(1.5)),
        TypeError,
        "`tokens` must be an int (got 1.5)",
    ),
    Case(
        "bucket",
        "await consume(-1), never a wait",
        consume(-1),
        ValueError,
        "`tokens` must be positive (got -1)",
    ),
    Case(
        "bucket",
        "an infinite refill interval with a store",
        lambda tmp: LeakyBucket(
            3, 1, math.inf, clock=ManualClock(), store=MemoryStore()
        ),
        ValueError,
        "`refill_interval` must be finite with a store (got inf)",
    ),
    # clock
    Case(
        "clock",
        "ManualClock(naive datetime)",
        lambda tmp: ManualClock(datetime(2026, 1, 1)),
        ClockError,
        "`start` must be time-zone aware (got naive 2026-01-01T00:00:00)",
    ),
    Case(
        "clock",
        'ManualClock("2026-01-01"), a string',
        lambda tmp: ManualClock(untyped("2026-01-01")),
        ClockError,
        "`start` must be an aware datetime (got '2026-01-01')",
    ),
    Case(
        "clock",
        "advance(-1)",
        lambda tmp: ManualClock().advance(-1),
        ClockError,
        "a clock never goes backwards: `seconds` must be >= 0 (got -1.0)",
    ),
    Case(
        "clock",
        "advance(nan)",
        lambda tmp: ManualClock().advance(math.nan),
        ClockError,
        "`seconds` must be a finite number of seconds (got nan)",
    ),
    Case(
        "clock",
        "advance(inf)",
        lambda tmp: ManualClock().advance(math.inf),
        ClockError,
        "`seconds` must be a finite number of seconds (got inf)",
    ),
    Case(
        "clock",
        "advance(1e300), past the year 9999",
        lambda tmp: ManualClock().advance(1e300),
        ClockError,
        "moves the clock past 9999-12-31",
    ),
    Case(
        "clock",
        "set() to a day earlier",
        _set_earlier,
        ClockError,
        "2025-12-31T00:00:00+00:00 is before 2026-01-01T00:00:00+00:00",
    ),
    Case(
        "clock",
        "RealClock(speed=0)",
        lambda tmp: RealClock(speed=0),
        ClockError,
        "`speed` must be a positive, finite number (got 0.0)",
    ),
    # slot
    Case(
        "slot",
        "current before any publish",
        lambda tmp: ModelSlot("direction").current,
        ModelNotReady,
        "model slot 'direction' has no published version yet (nothing is training)",
    ),
    Case(
        "slot",
        "wait_version(0)",
        lambda tmp: asyncio.run(ModelSlot().wait_version(0)),
        ValueError,
        "`version` must be at least 1 (got 0)",
    ),
    Case(
        "slot",
        "waiting from a second event loop while the first waits",
        slot_on_two_loops,
        AiotrainError,
        "model slot 'direction' is waited on from two event loops",
    ),
    # training
    Case(
        "training",
        "a training function that is the number 42",
        train(42),
        TypeError,
        "a training function must be callable (got 42)",
    ),
    Case(
        "training",
        "a training function raising KeyboardInterrupt",
        train(fail_to_fit),
        KeyboardInterrupt,
        "fit interrupted",
    ),
    Case(
        "training",
        "result of a failed run",
        result_of_failed_run,
        RuntimeError,
        "training run 'fit' has no result: it is failed",
    ),
    # data
    Case(
        "data",
        "CSV file that does not exist",
        lambda tmp: read_csv(tmp / "none.csv", "X"),
        DataError,
        "no data file at <tmp>/none.csv",
    ),
    Case(
        "data",
        "CSV file that is empty",
        csv_file(""),
        DataError,
        "line 1: the header lacks date, open, high, low, close, volume",
    ),
    Case(
        "data",
        "CSV header with other column names",
        csv_file("day,o,h,l,c,v\n"),
        DataError,
        "the header lacks date, open, high, low, close, volume: 'day,o,h,l,c,v'",
    ),
    Case(
        "data",
        "CSV row with close NaN",
        csv_file(HEADER + "2024-01-02,1,2,0.5,nan,10\n"),
        DataError,
        "line 2: close is not a number: 'nan'",
    ),
    Case(
        "data",
        "CSV rows out of order",
        csv_file(HEADER + "2024-01-03,1,2,0.5,1.5,10\r\n2024-01-02,1,2,0.5,1.5,10\r\n"),
        DataError,
        "line 3: bar time 2024-01-02T00:00:00-05:00 is not after the previous bar's",
    ),
    Case(
        "data",
        "CSV row with three fields",
        csv_file(HEADER + "2024-01-02,1,2\n"),
        DataError,
        "line 2: expected 6 fields, found 3",
    ),
    Case(
        "data",
        "CSV row dated 30 February",
        csv_file(HEADER + "2024-02-30,1,2,0.5,1.5,10\n"),
        DataError,
        "line 2: bad date (day is out of range for month): '2024-02-30'",
    ),
    Case(
        "data",
        "CSV row with high below low",
        csv_file(HEADER + "2024-01-02,1,0.5,2,1.5,10\n"),
        DataError,
        "line 2: high 0.5 is below low 2.0",
    ),
    Case(
        "data",
        "CSV file with a Latin-1 byte",
        csv_file(HEADER.encode() + b"2024-01-02,1,2,0.5,1.5,1\xe9\n"),
        DataError,
        "the file is corrupt or truncated ('utf-8' codec can't decode byte 0xe9",
    ),
    Case(
        "data",
        "CSV with an unknown time zone name",
        csv_file(HEADER, tz="Asia/Tokio"),
        ValueError,
        "`tz` is an unknown time zone (got 'Asia/Tokio')",
    ),
    Case(
        "data",
        "LEAN zip cut in half",
        truncated_lean_zip,
        DataError,
        "not a readable zip file (File is not a zip file)",
    ),
    Case(
        "data",
        "LEAN zip that is not a zip",
        lean_zip(raw=b"PK but not really"),
        DataError,
        "not a readable zip file (File is not a zip file)",
    ),
    Case(
        "data",
        "LEAN zip holding two files",
        lean_zip({"a.csv": LEAN_ROW, "b.csv": LEAN_ROW}),
        DataError,
        "a LEAN data zip must hold exactly one file (got 2: ['a.csv', 'b.csv'])",
    ),
    Case(
        "data",
        "LEAN row with five fields",
        lean_zip({"spy.csv": "20131007 00:00,1,2,3,4\n"}),
        DataError,
        "line 1: expected 6 fields, found 5",
    ),
    Case(
        "data",
        "LEAN row with an ISO date",
        lean_zip({"spy.csv": "2013-10-07,1,2,0,1,1\n"}),
        DataError,
        "line 1: bad time (expected YYYYMMDD HH:mm): '2013-10-07'",
    ),
    Case(
        "data",
        'read_lean(resolution="second")',
        lambda tmp: read_lean(tmp, "SPY", "second"),
        ValueError,
        "`resolution` must be one of daily, hour, minute (got 'second')",
    ),
    # rules
    Case(
        "rules",
        "month_end(40), beyond any month",
        lambda tmp: date_rules.month_end(40),
        ScheduleError,
        "month_end(): `days_offset` must be an integer between 0 and 30 (got 40)",
    ),
    Case(
        "rules",
        "week_start(-1)",
        lambda tmp: date_rules.week_start(-1),
        ScheduleError,
        "`days_offset` must be an integer between 0 and 6 (got -1)",
    ),
    Case(
        "rules",
        "at(24)",
        lambda tmp: time_rules.at(24),
        ScheduleError,
        "must be integers of a time of day (got 24, 0, 0)",
    ),
    Case(
        "rules",
        "every(timedelta(0))",
        lambda tmp: time_rules.every(timedelta(0)),
        ScheduleError,
        "every(): `interval` must be a positive timedelta",
    ),
    Case(
        "rules",
        "date_rules.every() with no weekday",
        lambda tmp: date_rules.every(),
        ScheduleError,
        "give one or more weekdays",
    ),
    Case(
        "rules",
        "at(8, tz='Europe/Londn')",
        lambda tmp: time_rules.at(8, tz="Europe/Londn"),
        ScheduleError,
        "unknown time zone 'Europe/Londn'",
    ),
    Case(
        "rules",
        "after_market_open('SPY', nan)",
        lambda tmp: time_rules.after_market_open("SPY", math.nan),
        ScheduleError,
        "`minutes_after_open` must be a finite number of minutes (got nan)",
    ),
    # scheduler
    Case(
        "scheduler",
        "remove() an event of another scheduler",
        remove_foreign_event,
        ScheduleError,
        "event 'EveryDay: 8' is not scheduled here",
    ),
    Case(
        "scheduler",
        "Scheduler(grace=-1 s)",
        lambda tmp: Scheduler(ManualClock(), grace=timedelta(seconds=-1)),
        ScheduleError,
        "`grace` must be >= 0",
    ),
    # engine
    Case(
        "engine",
        "backtest over no data",
        run_backtest(Algorithm, []),
        ValueError,
        "`data` holds no slices",
    ),
    Case(
        "engine",
        'backtest(refill="daily")',
        run_backtest(Algorithm, refill="daily"),
        ValueError,
        "`refill` must be 'wall' or 'simulated' (got 'daily')",
    ),
    Case(
        "engine",
        "initialize() raises KeyError",
        run_backtest(RaisesInInitialize),
        StrategyError,
        "initialize() raised at 2024-01-02 00:00:00 EST: KeyError: 'SPY'",
    ),
    Case(
        "engine",
        "on_data() raises ZeroDivisionError",
        run_backtest(RaisesInOnData),
        StrategyError,
        "on_data() raised at 2024-01-02 16:00:00 EST: ZeroDivisionError",
    ),
    Case(
        "engine",
        "on_end() raises OSError",
        run_backtest(RaisesInOnEnd),
        StrategyError,
        "on_end() raised at 2024-01-02 16:00:00 EST: OSError: disk full",
    ),
    Case(
        "engine",
        "on_data() written without async",
        run_backtest(SyncOnData),
        TypeError,
        "SyncOnData.on_data must be defined with `async def`",
    ),
    Case(
        "engine",
        "train('fit'), a string",
        run_backtest(TrainsSomethingUncallable),
        StrategyError,
        "TypeError: a training function must be callable (got 'fit')",
    ),
    Case(
        "engine",
        "a training run raises ValueError",
        run_backtest(TrainingRaises),
        TrainingFailed,
        "training run 'fit' at 2024-01-02 00:00:00 EST failed: ValueError: too few rows",
    ),
    Case(
        "engine",
        "slices out of order",
        run_backtest(Algorithm, [bar_slice(CLOSE), bar_slice(CLOSE - 5 * DAY)]),
        DataError,
        "slice 2 at 2023-12-28 21:00:00+00:00 is before the algorithm's time",
    ),
    Case(
        "engine",
        "one algorithm object run twice",
        run_twice,
        AiotrainError,
        "Algorithm is already running; make a new algorithm object per run",
    ),
    Case(
        "engine",
        "algorithm.time outside a runner",
        lambda tmp: Algorithm().time,
        AiotrainError,
        "Algorithm is not running",
    ),
    # store
    Case(
        "store",
        "SqliteStore on a directory",
        sqlite_store(lambda tmp: tmp),
        QuotaStoreError,
        "cannot use quota file '<tmp>': unable to open database file",
    ),
    Case(
        "store",
        "SqliteStore on a file of junk",
        sqlite_store(junk_file),
        QuotaStoreError,
        "it is not an SQLite database",
    ),
    Case(
        "store",
        "SqliteStore in a folder that does not exist",
        sqlite_store(lambda tmp: tmp / "no" / "quota.db"),
        QuotaStoreError,
        "unable to open database file",
    ),
    Case(
        "store",
        "stored capacity 120, asked for 60",
        sqlite_store(store_of_default_quota, QuotaConfig(capacity=60)),
        QuotaStoreError,
        "holds a bucket with capacity 120, refill 18 every 86400 s, not capacity 60",
    ),
    Case(
        "store",
        "stored level that is text",
        sqlite_store(store_with_text_level),
        QuotaStoreError,
        "holds impossible values",
    ),
    Case(
        "store",
        "SqliteStore(timeout=-1)",
        lambda tmp: SqliteStore(tmp / "q.db", timeout=-1),
        ValueError,
        "`timeout` must be a non-negative number (got -1)",
    ),
    # CLI
    Case(
        "CLI",
        "aiotrain backtest with a missing strategy file",
        command("backtest", f"{TMP}/none.py"),
        ExitStatus,
        "exit 2: error: strategy file '<tmp>/none.py' does not exist",
    ),
    Case(
        "CLI",
        "aiotrain backtest --start 2024-02-30",
        command_with_strategy(
            "backtest", f"{TMP}/strategy.py", "--start", "2024-02-30"
        ),
        ExitStatus,
        "exit 2",
    ),
    Case(
        "CLI",
        "aiotrain live --replay --speed 0",
        command_with_strategy("live", f"{TMP}/strategy.py", "--replay", "--speed", "0"),
        ExitStatus,
        "exit 2",
    ),
]


# --- checking and rendering ------------------------------------------------------


def raised_by(case: Case, tmp: Path) -> BaseException:
    """Perform ``case`` in ``tmp`` and return what it raised."""
    try:
        case.perform(tmp)
    except BaseException as error:
        return error

    raise AssertionError(f"{case.area}: {case.given}: nothing was raised")


def message_of(error: BaseException, tmp: Path) -> str:
    """The error's message with the temporary folder written as ``<tmp>``."""
    return str(error).replace(str(tmp), TMP)


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{case.area}: {case.given}" for case in CASES]
)
def test_bad_input_gets_its_error(case: Case, tmp_path: Path) -> None:
    """Each bad input raises exactly the expected type, with the fragment in its message."""
    error = raised_by(case, tmp_path)

    assert type(error) is case.error
    assert case.fragment in message_of(error, tmp_path)


def cell(text: str) -> str:
    """Text safe inside one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def render() -> str:
    """The page: every case and the message it really gets, in list order."""
    lines = [
        "# Bad inputs and the errors they get",
        "",
        "Every bad input the test suite tries, and the error it gets. The page",
        "is generated from `tests/test_bad_inputs.py`; regenerate it with",
        "`python -m tests.test_bad_inputs`. `<tmp>` stands for the folder the",
        "case's files were written to.",
        "",
        f"{len(CASES)} cases.",
        "",
        "| area | input | error type | message |",
        "|---|---|---|---|",
    ]
    for case in CASES:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            error = raised_by(case, tmp)
            message = message_of(error, tmp)
        kind = type(error).__name__
        lines.append(
            f"| {cell(case.area)} | {cell(case.given)} | `{kind}` | {cell(message)} |"
        )

    return "\n".join(lines) + "\n"


def test_page_matches_the_cases() -> None:
    """docs/bad-inputs.md is what the cases render to today."""
    page = render()
    if os.environ.get(REGENERATE):
        PAGE.write_text(page, encoding="utf-8")

    assert PAGE.read_text(encoding="utf-8") == page, (
        "docs/bad-inputs.md is stale: run `python -m tests.test_bad_inputs` "
        f"(or set {REGENERATE}=1) to regenerate it"
    )


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE} ({len(CASES)} cases)\n")
