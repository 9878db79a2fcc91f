"""Live mode under cancellation and odd timing: nothing hangs, nothing is lost."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import anyio
import pytest

from aiotrain import (
    Algorithm,
    DataError,
    EventKind,
    EventLog,
    LeakyBucket,
    ManualClock,
    QuotaExhausted,
    RunStatus,
    Slice,
    TradeBar,
    Trainer,
    TrainingFailed,
    TrainingRun,
    backtest,
    live,
)

START = datetime(2024, 1, 8, 14, 0, tzinfo=UTC)
MINUTE = 60.0


def _slice(when: datetime) -> Slice:
    bar = TradeBar(
        "X", when - timedelta(minutes=1), when, 1, 1, 1, 1, 1, timedelta(minutes=1)
    )
    return Slice(when, {"X": bar})


async def minute_feed(clock: ManualClock, count: int) -> AsyncIterator[Slice]:
    """One slice a minute on the manual clock."""
    for number in range(count):
        await clock.sleep_until((number + 1) * MINUTE)
        yield _slice(clock.now())


async def endless_feed() -> AsyncIterator[Slice]:
    """A feed that never delivers: live mode runs until cancelled."""
    await anyio.sleep_forever()
    yield _slice(START)  # pragma: no cover


async def live_until(
    clock: ManualClock, seconds: float, algorithm: Algorithm, events: EventLog
) -> None:
    """Run ``algorithm`` live on an endless feed; cancel it from outside at ``seconds``."""
    async with clock.autojump(), anyio.create_task_group() as group:

        async def stop() -> None:
            await clock.sleep_until(seconds)
            group.cancel_scope.cancel()

        group.start_soon(stop)
        await live(algorithm, endless_feed(), clock=clock, events=events)


@pytest.mark.asyncio
async def test_many_runs_from_on_data_are_each_recorded_once() -> None:
    """50 train() calls a minute, 70 s each, on a 120-token bucket: the quota runs
    dry at the very instant the feed ends. Every run is recorded once, with the
    status its handle shows, and no handle is left hanging."""
    clock = ManualClock(START)
    handles: list[TrainingRun] = []

    class TrainsOnEveryBar(Algorithm):
        async def on_data(self, data: Slice) -> None:
            for _ in range(50):
                handles.append(await self.train(self.fit, name="fit"))

        async def fit(self) -> None:
            await clock.sleep_until(clock.monotonic() + 70)

    async with clock.autojump():
        result = await live(TrainsOnEveryBar(), minute_feed(clock, 5), clock=clock)

    assert len(handles) == 250
    assert Counter(run.status for run in result.runs) == Counter(
        handle.status for handle in handles
    )
    assert Counter(handle.status for handle in handles) == {
        RunStatus.SUCCEEDED: 120,
        RunStatus.QUOTA_EXHAUSTED: 80,
        RunStatus.CANCELLED: 50,
    }
    assert result.tokens_drawn == 120
    with anyio.fail_after(1), pytest.raises(QuotaExhausted):
        await handles[-60]


@pytest.mark.asyncio
async def test_quota_refusal_and_outer_cancel_at_one_instant() -> None:
    """The meter refuses a token and the caller cancels at the same instant: the
    run still ends, recorded once as quota exhausted, and nothing stays running."""
    clock = ManualClock(START)
    bucket = LeakyBucket(1, 0, 1440 * MINUTE, clock=clock)
    trainer = Trainer(bucket, clock=clock)
    handle: list[TrainingRun] = []

    with anyio.CancelScope() as outer:

        async def fit() -> None:
            await clock.sleep_until(61)
            clock.call_at(120, outer.cancel)  # after the meter's timer for 120 s
            await clock.sleep_until(300)

        run = trainer.new_run(fit, name="fit")
        handle.append(run)
        async with clock.autojump():
            await trainer.execute(run, fit)

    assert outer.cancelled_caught
    assert [(record.status, record.tokens_drawn) for record in trainer.records] == [
        (RunStatus.QUOTA_EXHAUSTED, 1)
    ]
    assert trainer.running == 0
    assert isinstance(handle[0].exception, QuotaExhausted)


@pytest.mark.asyncio
async def test_training_from_on_end_after_the_feed_ends_runs_to_its_end() -> None:
    """on_end may train a last model after the feed ended: it runs inline and is recorded."""
    clock = ManualClock(START)

    class TrainsAtEnd(Algorithm):
        async def on_end(self) -> None:
            self.last = await self.train(self.fit, name="final")

        async def fit(self) -> int:
            await clock.sleep_until(clock.monotonic() + 90)
            return 7

    algorithm = TrainsAtEnd()
    async with clock.autojump():
        result = await live(algorithm, minute_feed(clock, 2), clock=clock)

    assert algorithm.last.result == 7
    assert [(run.name, run.status, run.tokens_drawn) for run in result.runs] == [
        ("final", RunStatus.SUCCEEDED, 1)
    ]


@pytest.mark.asyncio
async def test_subscribing_after_close_ends_at_once() -> None:
    """A subscriber that arrives after the run ended gets an empty stream, not a hang."""
    log = EventLog()
    log.close()

    with anyio.fail_after(1):
        async with log.subscribe() as stream:
            assert [event async for event in stream] == []


@pytest.mark.asyncio
async def test_cancel_while_a_subscriber_reads() -> None:
    """Cancelling live() ends a subscriber's loop; it saw what the log kept."""
    clock = ManualClock(START)
    events = EventLog()
    seen: list[EventKind] = []

    class Trains(Algorithm):
        async def initialize(self) -> None:
            await self.train(self.fit, name="fit")

        async def fit(self) -> None:
            await clock.sleep_until(clock.monotonic() + 500)

    async def read() -> None:
        async with events.subscribe() as stream:
            seen.extend([event.kind async for event in stream])

    async with anyio.create_task_group() as group:
        group.start_soon(read)
        await live_until(clock, 100, Trains(), events)

    assert seen == [event.kind for event in events.events]
    assert seen == [EventKind.TRAINING_CANCELLED]


@pytest.mark.asyncio
async def test_stop_on_failure_cancels_the_other_run_and_records_both() -> None:
    """A failing run stops the algorithm; the one beside it is cancelled, both recorded once."""
    clock = ManualClock(START)
    events = EventLog()

    class Two(Algorithm):
        async def initialize(self) -> None:
            await self.train(self.slow, name="slow")
            await self.train(self.bad, name="bad")

        async def slow(self) -> None:
            await clock.sleep_until(clock.monotonic() + 500)

        async def bad(self) -> None:
            await clock.sleep_until(clock.monotonic() + 90)
            raise ValueError("nan loss")

    with pytest.raises(TrainingFailed, match=r"'bad' .* failed: ValueError: nan loss"):
        async with clock.autojump():
            await live(
                Two(),
                minute_feed(clock, 30),
                clock=clock,
                events=events,
                stop_on_failure=True,
            )

    assert [(event.kind, event.name) for event in events.events] == [
        (EventKind.TRAINING_FAILED, "bad"),
        (EventKind.TRAINING_CANCELLED, "slow"),
    ]
    assert clock.monotonic() == 90


@pytest.mark.asyncio
async def test_two_algorithms_share_one_bucket_without_double_charging() -> None:
    """Two live algorithms in one loop on a 5-token bucket draw exactly 5 between them."""
    clock = ManualClock(START)
    bucket = LeakyBucket(5, 0, 1440 * MINUTE, clock=clock)
    results = []

    class Trains(Algorithm):
        async def initialize(self) -> None:
            await self.train(self.fit)

        async def fit(self) -> None:
            await clock.sleep_until(clock.monotonic() + 240)

    async def one() -> None:
        results.append(
            await live(Trains(), minute_feed(clock, 6), clock=clock, bucket=bucket)
        )

    async with clock.autojump(), anyio.create_task_group() as group:
        group.start_soon(one)
        group.start_soon(one)

    assert bucket.available == 0
    assert sum(result.tokens_drawn for result in results) == 5
    assert [run.status for result in results for run in result.runs] == [
        RunStatus.QUOTA_EXHAUSTED
    ] * 2


@pytest.mark.realtime
@pytest.mark.asyncio
async def test_cancelling_live_abandons_a_sync_thread_after_the_grace_period() -> None:
    """A sync training that ignores the stop is abandoned after the grace period."""
    clock = ManualClock(START)
    events = EventLog()
    started, release = threading.Event(), threading.Event()

    class Blocks(Algorithm):
        async def initialize(self) -> None:
            await self.train(self.fit, name="fit")

        def fit(self) -> None:
            started.set()
            release.wait(2.0)

    began = time.monotonic()
    try:
        with anyio.move_on_after(0.2):
            await live(
                Blocks(), endless_feed(), clock=clock, grace_period=0.1, events=events
            )
    finally:
        release.set()

    assert started.is_set()
    assert time.monotonic() - began < 1.0
    assert [event.kind for event in events.events] == [EventKind.TRAINING_ABANDONED]


@pytest.mark.asyncio
async def test_training_that_trains_again_in_a_backtest_is_refused() -> None:
    """A backtest training that calls train() itself fails with a clear reason, charged once."""

    class Nested(Algorithm):
        async def initialize(self) -> None:
            await self.train(self.outer)

        async def outer(self) -> None:
            await self.train(self.inner)

        async def inner(self) -> None:
            return None

    with pytest.raises(
        TrainingFailed, match=r"train\(\) was called from inside a training run"
    ):
        await backtest(Nested(), [Slice(datetime(2020, 1, 6, 21, tzinfo=UTC), {})])


@pytest.mark.asyncio
async def test_a_feed_that_raises_says_how_far_it_got() -> None:
    """An error from the feed itself stops live mode as a DataError with the slice count."""
    clock = ManualClock(START)

    async def broken_feed() -> AsyncIterator[Slice]:
        yield _slice(START)
        yield _slice(START + timedelta(minutes=1))
        raise OSError("connection reset")

    with pytest.raises(
        DataError,
        match=r"the live feed raised after 2 slices: OSError: connection reset",
    ) as caught:
        async with clock.autojump():
            await live(Algorithm(), broken_feed(), clock=clock)

    assert isinstance(caught.value.__cause__, OSError)
