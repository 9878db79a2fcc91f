"""Regression tests for bad input that once lost state or escaped unexplained."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aiotrain import (
    Algorithm,
    ClockError,
    ConfigError,
    DataError,
    LeakyBucket,
    ManualClock,
    QuotaConfig,
    RunStatus,
    ScheduleError,
    Slice,
    TimeRules,
    TradeBar,
    Trainer,
    backtest,
    date_rules,
    read_csv,
    time_rules,
)
from aiotrain._rule_base import fire_times

MINUTE = 60.0
DAY = timedelta(days=1)


@pytest.mark.asyncio
@pytest.mark.parametrize("error_type", [KeyboardInterrupt, SystemExit])
async def test_training_that_raises_a_base_exception_stops_its_meter(
    error_type: type[BaseException],
) -> None:
    """A run raising KeyboardInterrupt or SystemExit ends, is recorded, and is
    never charged afterwards: ten idle minutes later the bucket still holds 120."""
    clock = ManualClock()
    bucket = LeakyBucket(120, 0, 1440 * MINUTE, clock=clock)
    trainer = Trainer(bucket, clock=clock)

    async def fit() -> None:
        raise error_type("stop")

    with pytest.raises(error_type):
        await trainer.run(fit, name="fit")

    clock.advance(10 * MINUTE)
    assert bucket.available == 120
    assert trainer.tokens_drawn == 0
    assert trainer.running == 0
    assert [(record.name, record.status) for record in trainer.records] == [
        ("fit", RunStatus.FAILED)
    ]
    assert trainer.records[0].error == f"{error_type.__name__}: stop"


def _slice(when: datetime) -> Slice:
    bar = TradeBar("X", when - DAY, when, 1, 2, 0.5, 1.5, 10, DAY)
    return Slice(when, {"X": bar})


class _Recorder(Algorithm):
    def __init__(self) -> None:
        self.seen: list[datetime] = []

    async def on_data(self, data: Slice) -> None:
        self.seen.append(data.time)


CLOSE = datetime(2024, 1, 2, 21, tzinfo=UTC)


@pytest.mark.asyncio
async def test_backtest_refuses_a_slice_older_than_the_algorithm_time() -> None:
    """A slice five days older than the one before it is a DataError naming
    both times; on_data never sees it (no silent look-ahead)."""
    algorithm = _Recorder()
    data = [_slice(CLOSE), _slice(CLOSE - 5 * DAY)]

    with pytest.raises(DataError) as caught:
        await backtest(algorithm, data, real_clock=ManualClock())

    assert str(caught.value) == (
        "slice 2 at 2023-12-28 21:00:00+00:00 is before the algorithm's time "
        "2024-01-02 21:00:00+00:00: slices must be in time order"
    )
    assert algorithm.seen == [CLOSE]


@pytest.mark.asyncio
async def test_backtest_refuses_data_that_ends_before_the_start() -> None:
    """A start three days after the only slice is a DataError, not an on_data
    call whose data lies in the algorithm's past."""
    algorithm = _Recorder()

    with pytest.raises(DataError, match=r"^slice 1 at 2024-01-02 21:00:00\+00:00"):
        await backtest(
            algorithm, [_slice(CLOSE)], start=CLOSE + 3 * DAY, real_clock=ManualClock()
        )

    assert algorithm.seen == []


def test_lean_config_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """A config.json saved with a UTF-8 byte-order mark reads like one without."""
    path = tmp_path / "config.json"
    path.write_bytes(b'\xef\xbb\xbf{"scheduled-event-leaky-bucket-capacity": 60}')

    assert QuotaConfig.from_lean_config(path) == QuotaConfig(capacity=60)


def test_lean_config_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    """A Latin-1 byte in config.json is a ConfigError naming the file and byte."""
    path = tmp_path / "config.json"
    path.write_bytes(b'{"note": "caf\xe9"}')

    with pytest.raises(ConfigError) as caught:
        QuotaConfig.from_lean_config(path)

    assert str(caught.value) == (
        f"config file {str(path)!r} is not UTF-8 text "
        "(byte 0xe9 at position 13 is not valid)"
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: QuotaConfig.from_lean_config(
            {"scheduled-event-leaky-bucket-capacity": 10**400}
        ),
        lambda: QuotaConfig(capacity=10**400),
    ],
    ids=["lean-config", "quota-config"],
)
def test_an_integer_too_large_for_a_float_is_a_config_error(
    make: Callable[[], object],
) -> None:
    """A 401-digit capacity is a ConfigError that says it is too large."""
    with pytest.raises(
        ConfigError,
        match=r"must be a number in float range \(got an integer of 401 digits\)$",
    ):
        make()


def test_bucket_capacity_too_large_for_a_float_is_a_value_error() -> None:
    """LeakyBucket(10**400, ...) is a ValueError naming `capacity`."""
    with pytest.raises(
        ValueError, match=r"^`capacity` must be a number in float range"
    ):
        LeakyBucket(10**400, 1, 60, clock=ManualClock())


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (math.inf, "`seconds` must be a finite number of seconds (got inf)"),
        (True, "`seconds` must be a finite number of seconds (got True)"),
        (
            1e300,
            "advancing by 1e+300 s moves the clock past 9999-12-31 23:59:59.999999+00:00",
        ),
    ],
    ids=["inf", "bool", "past-year-9999"],
)
def test_manual_clock_refuses_an_advance_it_cannot_show(
    seconds: float, message: str
) -> None:
    """advance(inf), advance(True) and advance(1e300) are ClockErrors, and the
    clock keeps its time and still answers now()."""
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))

    with pytest.raises(ClockError) as caught:
        clock.advance(seconds)

    assert str(caught.value) == message
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.monotonic() == 0.0


def test_manual_clock_start_that_is_not_a_datetime_is_a_clock_error() -> None:
    """ManualClock("2026-01-01") is a ClockError naming `start` and the value."""
    with pytest.raises(ClockError) as caught:
        ManualClock("2026-01-01")  # type: ignore[arg-type]

    assert str(caught.value) == ("`start` must be an aware datetime (got '2026-01-01')")


def test_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """A CSV file exported with a UTF-8 byte-order mark finds its date column."""
    path = tmp_path / "x.csv"
    path.write_bytes(
        b"\xef\xbb\xbfdate,open,high,low,close,volume\r\n2024-01-02,1,2,0.5,1.5,10\r\n"
    )

    bars = list(read_csv(path, "X", calendar=None))

    assert [(bar.time.isoformat(), bar.close) for bar in bars] == [
        ("2024-01-02T00:00:00-05:00", 1.5)
    ]


def test_unknown_time_zone_names_are_errors_that_name_them(tmp_path: Path) -> None:
    """A misspelt zone is a ScheduleError in the rules and a ValueError in
    read_csv, each naming the argument and the zone, not a bare KeyError."""
    path = tmp_path / "x.csv"
    path.write_text("date,open,high,low,close,volume\n", encoding="utf-8")

    with pytest.raises(ScheduleError) as in_rules:
        TimeRules("America/New_Yrok")
    with pytest.raises(ScheduleError) as in_at:
        time_rules.at(8, tz="Europe/Londn")
    with pytest.raises(ValueError) as in_csv:
        read_csv(path, "X", tz="Asia/Tokio")

    assert str(in_rules.value) == "unknown time zone 'America/New_Yrok'"
    assert str(in_at.value) == "unknown time zone 'Europe/Londn'"
    assert str(in_csv.value) == "`tz` is an unknown time zone (got 'Asia/Tokio')"


def test_generator_training_function_is_refused() -> None:
    """A training function that yields is refused with its name."""

    def fit() -> Iterator[int]:
        yield 1

    with pytest.raises(TypeError, match="must return its model, not yield it"):
        Trainer().new_run(fit)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"grace_period": -1.0}, r"`grace_period` must be >= 0 seconds \(got -1.0\)"),
        ({"history": 0}, r"`history` must be positive or None \(got 0\)"),
    ],
)
def test_bad_trainer_settings(arguments: dict[str, float], message: str) -> None:
    """Trainer checks its grace period and history size."""
    with pytest.raises(ValueError, match=message):
        Trainer(**arguments)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_sync_on_data_is_named_as_the_problem() -> None:
    """An on_data written without async is refused before the run starts."""

    class Forgetful(Algorithm):
        def on_data(self, data: Slice) -> None:  # type: ignore[override]
            return None

    with pytest.raises(
        TypeError, match=r"Forgetful.on_data must be defined with `async def`"
    ):
        await backtest(Forgetful(), [Slice(datetime(2020, 1, 6, 21, tzinfo=UTC), {})])


@pytest.mark.asyncio
async def test_data_that_is_not_slices_is_named() -> None:
    """backtest() over things that are not slices says what it got."""
    with pytest.raises(TypeError, match=r"`data` must hold Slice objects \(got 1\)"):
        await backtest(Algorithm(), [1, 2])  # type: ignore[list-item]


def test_market_rule_name_follows_the_sign_of_its_minutes() -> None:
    """after_market_open(-5) fires before the open, and its name says so."""
    assert (
        time_rules.after_market_open("SPY", -5).name == "SPY: 5 min before MarketOpen"
    )
    assert (
        time_rules.before_market_close("SPY", -10).name
        == "SPY: 10 min after MarketClose"
    )
    assert (
        time_rules.after_market_open("SPY", 30).name == "SPY: 30 min after MarketOpen"
    )


@pytest.mark.asyncio
async def test_unknown_time_zone_for_the_algorithm_is_named() -> None:
    """set_time_zone with a misspelt zone is a ScheduleError naming it."""

    class Lost(Algorithm):
        async def initialize(self) -> None:
            self.set_time_zone("Mars/Base")

    with pytest.raises(ScheduleError, match=r"unknown time zone 'Mars/Base'"):
        await backtest(Lost(), [Slice(datetime(2020, 1, 6, 21, tzinfo=UTC), {})])


def test_config_mapping_with_non_text_keys_is_read() -> None:
    """A mapping with a non-string key is read; the key is ignored like any other."""
    assert QuotaConfig.from_lean_config({1: 2}) == QuotaConfig()  # type: ignore[dict-item]


def test_rules_end_quietly_where_the_calendar_ends() -> None:
    """Fire times near year 9999 stop at the calendar's end instead of overflowing."""
    start = datetime(9999, 12, 1, tzinfo=UTC)

    times = list(fire_times(date_rules.every_day(), time_rules.at(8), start))

    assert (len(times), times[-1]) == (31, datetime(9999, 12, 31, 13, 0, tzinfo=UTC))
