"""Tests for the engine: the algorithm API and the backtest and live runners."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import anyio
import pytest

from aiotrain import (
    SUNDAY,
    Algorithm,
    ManualClock,
    Mode,
    ModelSlot,
    QuotaConfig,
    RunStatus,
    Slice,
    StrategyError,
    TimeLoopExceeded,
    TradeBar,
    TrainingFailed,
    backtest,
    live,
    merge_slices,
    read_lean,
)

LEAN = Path(__file__).parents[2] / "shared" / "data" / "lean"
NEW_YORK = ZoneInfo("America/New_York")
needs_lean = pytest.mark.skipif(
    not LEAN.exists(), reason="LEAN sample data not found beside the project"
)


def spy_daily(start: date, end: date) -> Iterator[Slice]:
    return merge_slices(read_lean(LEAN, "SPY", "daily", start=start, end=end))


def synthetic_days(first: date, count: int) -> Iterator[Slice]:
    """One bar a weekday at 16:00 New York, price rising a cent a day."""
    day, made = first, 0
    while made < count:
        if day.weekday() < 5:
            close = datetime(day.year, day.month, day.day, 16, tzinfo=NEW_YORK)
            price = 100 + made / 100
            bar = TradeBar(
                "TEST",
                close - timedelta(hours=16),
                close,
                price,
                price,
                price,
                price,
                1000.0,
                timedelta(days=1),
            )
            yield Slice(close, {"TEST": bar})
            made += 1
        day += timedelta(days=1)


class WeeklyTrainer(Algorithm):
    """Trains at start and every Sunday at 08:00, recording what it saw."""

    def __init__(self) -> None:
        self.model: ModelSlot[int] = ModelSlot()
        self.seen_at_training: list[int] = []

    async def initialize(self) -> None:
        await self.train(self.fit, slot=self.model)
        await self.train(
            self.date_rules.every(SUNDAY),
            self.time_rules.at(8, 0),
            self.fit,
            slot=self.model,
        )

    def fit(self) -> int:
        self.seen_at_training.append(len(self.history("SPY", 1000)))
        return len(self.seen_at_training)


@needs_lean
@pytest.mark.asyncio
async def test_spy_week_trains_at_start_and_on_sunday() -> None:
    """SPY daily 2013-10-07..14: two runs, at 10-07 00:00 and 10-13 08:00 New York."""
    algorithm = WeeklyTrainer()

    result = await backtest(algorithm, spy_daily(date(2013, 10, 7), date(2013, 10, 14)))

    times = [run.scheduled_time for run in result.runs]
    assert times == [
        datetime(2013, 10, 7, 0, 0, tzinfo=NEW_YORK),
        datetime(2013, 10, 13, 8, 0, tzinfo=NEW_YORK),
    ]
    assert [run.name for run in result.runs] == ["WeeklyTrainer.fit", "Sunday: 8"]
    assert [run.status for run in result.runs] == [RunStatus.SUCCEEDED] * 2
    assert result.slices == 6
    assert algorithm.seen_at_training == [0, 5]
    assert algorithm.model.version == 2


@pytest.mark.asyncio
async def test_c5_utc_algorithm_trains_once_at_its_start_time() -> None:
    """C5: time zone UTC, then await train(fit) in initialize: one run, at the start time."""
    times: list[datetime] = []

    class UtcStrategy(Algorithm):
        async def initialize(self) -> None:
            self.set_time_zone("UTC")
            await self.train(self.fit)

        async def fit(self) -> None:
            times.append(self.time)

    start = datetime(2020, 1, 6, tzinfo=UTC)
    result = await backtest(
        UtcStrategy(), synthetic_days(date(2020, 1, 6), 5), start=start
    )

    assert times == [start]
    assert [(run.scheduled_time, run.status) for run in result.runs] == [
        (start, RunStatus.SUCCEEDED)
    ]
    assert result.start.tzinfo == ZoneInfo("UTC")


class ModeProbe(Algorithm):
    """The same strategy for both modes: trains at start, counts bars seen without a model."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.model: ModelSlot[str] = ModelSlot()
        self.bars_before_model = 0
        self.bars_with_model = 0

    async def initialize(self) -> None:
        run = await self.train(self.fit, slot=self.model)
        self.status_after_train = run.status

    async def fit(self) -> str:
        await self.clock.sleep_until(self.clock.monotonic() + 150)
        return "model"

    async def on_data(self, data: Slice) -> None:
        if self.model.ready:
            self.bars_with_model += 1
        else:
            self.bars_before_model += 1


async def feed_every_minute(clock: ManualClock, count: int) -> AsyncIterator[Slice]:
    """A live feed on a manual clock: one slice a minute."""
    for number in range(count):
        await clock.sleep_until((number + 1) * 60.0)
        now = clock.now()
        bar = TradeBar(
            "TEST",
            now - timedelta(minutes=1),
            now,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            timedelta(minutes=1),
        )
        yield Slice(now, {"TEST": bar})


@pytest.mark.asyncio
async def test_backtest_and_live_modes_differ_as_specified() -> None:
    """Backtest: train blocks, every bar sees the model. Live: train returns at once, bars flow meanwhile."""
    backtest_clock = ManualClock()
    in_backtest = ModeProbe(backtest_clock)
    async with backtest_clock.autojump():
        tested = await backtest(
            in_backtest, synthetic_days(date(2020, 1, 6), 5), real_clock=backtest_clock
        )

    live_clock = ManualClock(datetime(2020, 1, 6, 9, 30, tzinfo=UTC))
    in_live = ModeProbe(live_clock)
    async with live_clock.autojump():
        lived = await live(in_live, feed_every_minute(live_clock, 5), clock=live_clock)

    assert (
        in_backtest.status_after_train,
        in_backtest.bars_before_model,
        in_backtest.bars_with_model,
    ) == (RunStatus.SUCCEEDED, 0, 5)
    assert (
        in_live.status_after_train,
        in_live.bars_before_model,
        in_live.bars_with_model,
    ) == (RunStatus.PENDING, 2, 3)
    assert (tested.mode, lived.mode) == (Mode.BACKTEST, Mode.LIVE)
    assert lived.slices_while_training == 2
    assert (
        [run.tokens_drawn for run in tested.runs]
        == [run.tokens_drawn for run in lived.runs]
        == [2]
    )


class TwentyMinuteWeekly(Algorithm):
    """Weekly training charged 20 minutes of real time each."""

    def __init__(self, real: ManualClock) -> None:
        self.real = real

    async def initialize(self) -> None:
        await self.train(
            self.date_rules.every(SUNDAY), self.time_rules.at(8, 0), self.fit
        )

    async def fit(self) -> None:
        await self.real.sleep_until(self.real.monotonic() + 20 * 60)


@pytest.mark.asyncio
@pytest.mark.parametrize(("refill", "exhausted"), [("simulated", 0), ("wall", 515)])
async def test_l3_ten_year_backtest_refill_by_simulated_or_wall_time(
    refill: Literal["wall", "simulated"], exhausted: int
) -> None:
    """L3: ten years of weekly 20-minute training: simulated refill never runs dry; wall refill does."""
    real = ManualClock()
    algorithm = TwentyMinuteWeekly(real)

    async with real.autojump():
        result = await backtest(
            algorithm,
            synthetic_days(date(2010, 1, 4), 2610),
            real_clock=real,
            refill=refill,
        )

    assert len(result.runs) == 521
    assert len(result.exhausted_runs) == exhausted
    if exhausted:
        first = result.exhausted_runs[0]
        assert result.runs.index(first) == 6
        assert (
            first.error is not None
            and "ran out of quota after 1.0 minutes" in first.error
        )


class SlowOnData(Algorithm):
    """Spends 11 minutes of real time on one bar."""

    def __init__(self, real: ManualClock) -> None:
        self.real = real

    async def on_data(self, data: Slice) -> None:
        await self.real.sleep_until(self.real.monotonic() + 11 * 60)


@pytest.mark.asyncio
async def test_slow_slice_trips_the_time_loop_guard() -> None:
    """A bar that takes 11 minutes against a 10-minute loop maximum stops the backtest at 10."""
    real = ManualClock()

    with pytest.raises(
        TimeLoopExceeded,
        match=r"took longer than 10 minutes on a single time loop\. CurrentTimeStepElapsed: 10\.0 minutes",
    ):
        async with real.autojump():
            await backtest(
                SlowOnData(real), synthetic_days(date(2020, 1, 6), 3), real_clock=real
            )

    assert real.monotonic() == 600.0


class RaisesInOnData(Algorithm):
    async def on_data(self, data: Slice) -> None:
        raise KeyError("MSFT")


@pytest.mark.asyncio
async def test_strategy_error_names_the_method_and_time() -> None:
    """on_data raising becomes a StrategyError naming the method, the time and the cause."""
    with pytest.raises(
        StrategyError,
        match=r"on_data\(\) raised at 2020-01-06 16:00:00 EST: KeyError: 'MSFT'",
    ) as caught:
        await backtest(RaisesInOnData(), synthetic_days(date(2020, 1, 6), 3))

    assert isinstance(caught.value.__cause__, KeyError)


class FailingWeekly(Algorithm):
    async def initialize(self) -> None:
        await self.train(
            self.date_rules.every(SUNDAY), self.time_rules.at(8, 0), self.fit
        )

    def fit(self) -> None:
        raise ValueError("not enough rows")


@pytest.mark.asyncio
async def test_failed_training_stops_the_backtest_with_context() -> None:
    """A scheduled training that raises stops the backtest, naming the event and its time."""
    with pytest.raises(TrainingFailed) as caught:
        await backtest(FailingWeekly(), synthetic_days(date(2013, 10, 7), 10))

    assert (
        str(caught.value)
        == "training run 'Sunday: 8' at 2013-10-13 08:00:00 EDT failed: ValueError: not enough rows"
    )
    assert isinstance(caught.value.__cause__, ValueError)


@pytest.mark.asyncio
async def test_live_failure_keeps_previous_model_serving() -> None:
    """Live: a failing scheduled training is recorded; the previous version keeps serving."""
    clock = ManualClock(datetime(2020, 1, 6, 14, 0, tzinfo=UTC))
    model: ModelSlot[str] = ModelSlot()
    model.publish("v1")

    class FailsEveryMinute(Algorithm):
        async def initialize(self) -> None:
            await self.train(
                self.date_rules.every_day(),
                self.time_rules.every(timedelta(minutes=1)),
                self.fit,
                slot=model,
            )

        async def fit(self) -> str:
            raise RuntimeError("diverged")

    async with clock.autojump():
        result = await live(
            FailsEveryMinute(), feed_every_minute(clock, 3), clock=clock
        )

    assert model.current == "v1"
    assert [run.status for run in result.runs] == [RunStatus.FAILED] * 4
    assert result.runs[0].error == "RuntimeError: diverged"


@pytest.mark.asyncio
async def test_empty_data_and_bad_refill_are_clear_errors() -> None:
    """No slices, or an unknown refill choice, are errors naming the problem."""
    with pytest.raises(ValueError, match="`data` holds no slices"):
        await backtest(Algorithm(), [])
    with pytest.raises(
        ValueError, match=r"`refill` must be 'wall' or 'simulated' \(got 'cpu'\)"
    ):
        await backtest(Algorithm(), synthetic_days(date(2020, 1, 6), 1), refill="cpu")  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_unlimited_quota_keeps_no_bucket() -> None:
    """With the unlimited quota there is no bucket and nothing is drawn."""
    result = await backtest(
        WeeklyTrainer(),
        synthetic_days(date(2020, 1, 6), 10),
        quota=QuotaConfig.unlimited(),
    )

    assert result.quota is None
    assert result.tokens_drawn == 0
    assert len(result.runs) == 2


@pytest.mark.asyncio
async def test_algorithm_object_runs_once() -> None:
    """Running one algorithm object twice is an error naming its class."""
    algorithm = WeeklyTrainer()
    await backtest(algorithm, synthetic_days(date(2020, 1, 6), 1))

    with pytest.raises(Exception, match="WeeklyTrainer is already running"):
        await backtest(algorithm, synthetic_days(date(2020, 1, 6), 1))


def test_algorithm_outside_a_runner_says_how_to_start_it() -> None:
    """Reading .time before a runner starts the algorithm is a clear error."""
    with pytest.raises(
        Exception,
        match=r"Algorithm is not running; start it with aiotrain.backtest\(\) or aiotrain.live\(\)",
    ):
        _ = Algorithm().time


@pytest.mark.asyncio
async def test_train_with_wrong_arguments() -> None:
    """train() with neither form of arguments is a TypeError."""

    class Wrong(Algorithm):
        async def initialize(self) -> None:
            await self.train(1, 2)  # type: ignore[call-overload]

    with pytest.raises(
        StrategyError, match=r"train\(\) takes \(fn\) or \(date_rule, time_rule, fn\)"
    ):
        await backtest(Wrong(), synthetic_days(date(2020, 1, 6), 1))


@pytest.mark.asyncio
async def test_anyio_task_group_inside_on_data_works() -> None:
    """A strategy may open its own task groups inside on_data."""
    seen: list[int] = []

    class Fanout(Algorithm):
        async def on_data(self, data: Slice) -> None:
            async with anyio.create_task_group() as group:
                for index in range(3):
                    group.start_soon(self.note, index)

        async def note(self, index: int) -> None:
            seen.append(index)

    await backtest(Fanout(), synthetic_days(date(2020, 1, 6), 2))

    assert sorted(seen) == [0, 0, 1, 1, 2, 2]


@pytest.mark.asyncio
async def test_live_replay_charges_training_on_the_real_clock() -> None:
    """Live with a separate real clock: training is charged on it, not on the replay clock."""
    replay_clock = ManualClock(datetime(2020, 1, 6, 9, 30, tzinfo=UTC))
    real = ManualClock()
    algorithm = ModeProbe(real)

    async def feed() -> AsyncIterator[Slice]:
        bar = TradeBar(
            "TEST",
            replay_clock.now(),
            replay_clock.now(),
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            timedelta(minutes=1),
        )
        yield Slice(replay_clock.now(), {"TEST": bar})
        await algorithm.model.wait_ready()
        yield Slice(replay_clock.now(), {"TEST": bar})

    async with real.autojump():
        result = await live(algorithm, feed(), clock=replay_clock, real_clock=real)

    assert [(run.tokens_drawn, run.duration) for run in result.runs] == [(2, 150.0)]
    assert replay_clock.monotonic() == 0.0
    assert result.quota is not None and result.quota.available == 118


class CountsHistory(Algorithm):
    """Trains at start on whatever history there is; counts bars it handles."""

    async def initialize(self) -> None:
        self.seen_at_start = len(self.history("TEST", 1000))
        self.started_at = self.time
        self.handled = 0

    async def on_data(self, data: Slice) -> None:
        self.handled += 1


@pytest.mark.asyncio
async def test_warm_up_fills_history_before_the_algorithm_starts() -> None:
    """warm_up=5: initialize sees 5 bars, on_data gets the other 5, time starts after them."""
    algorithm = CountsHistory()

    result = await backtest(algorithm, synthetic_days(date(2020, 1, 6), 10), warm_up=5)

    assert (algorithm.seen_at_start, algorithm.handled, result.slices) == (5, 5, 5)
    assert algorithm.started_at == datetime(2020, 1, 13, 0, 0, tzinfo=NEW_YORK)


@pytest.mark.asyncio
async def test_warm_up_longer_than_the_data_is_an_error() -> None:
    """A warm-up that eats all the data says how many slices there were."""
    with pytest.raises(
        ValueError, match=r"`data` holds 3 slices, all taken by `warm_up`"
    ):
        await backtest(CountsHistory(), synthetic_days(date(2020, 1, 6), 3), warm_up=5)
    with pytest.raises(ValueError, match=r"`warm_up` must be >= 0 slices \(got -1\)"):
        await backtest(CountsHistory(), synthetic_days(date(2020, 1, 6), 3), warm_up=-1)


@pytest.mark.asyncio
async def test_scheduled_action_error_names_the_event_and_time() -> None:
    """An action from schedule() that raises stops the backtest, naming the event and its time."""

    class Rebalances(Algorithm):
        async def initialize(self) -> None:
            self.schedule(
                self.date_rules.every(SUNDAY), self.time_rules.at(8, 0), self.rebalance
            )

        async def rebalance(self) -> None:
            raise KeyError("MSFT")

    with pytest.raises(StrategyError) as caught:
        await backtest(Rebalances(), synthetic_days(date(2013, 10, 7), 10))

    assert (
        str(caught.value)
        == "scheduled event 'Sunday: 8' at 2013-10-13 08:00:00 EDT raised KeyError: 'MSFT'"
    )
    assert isinstance(caught.value.__cause__, KeyError)
