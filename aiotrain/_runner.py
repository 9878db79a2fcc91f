"""The runners: a backtest over historical slices, and live mode over a feed.

A backtest has two clocks. Simulated time (a :class:`ManualClock`) is the
algorithm's ``time`` and drives the rules; real time is what training and
slices really take, which the quota charges and the time-loop guard limits.
The quota refills on real time (LEAN's behaviour) or, on request, on
simulated time. Live mode has one clock for everything.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
)
from datetime import datetime, timedelta
from typing import Literal

import anyio
import anyio.abc
import attrs

from ._algorithm import Algorithm, Mode
from ._bars import Slice
from ._clock import Clock, ManualClock, RealClock
from ._config import QuotaConfig
from ._errors import AiotrainError, ClockError, DataError
from ._events import EventLog
from ._guard import TimeLoopGuard
from ._quota import LeakyBucket
from ._result import RunResult, Tally, make_result
from ._runtime import (
    Runtime,
    attach_runtime,
    call_strategy,
    closing,
    strategy_error,
    time_loop_guard,
    with_guard,
)
from ._training import Trainer

__all__ = ["RunResult", "backtest", "live", "replay"]

Refill = Literal["wall", "simulated"]
Progress = Callable[[int, datetime], None]


async def backtest(
    algorithm: Algorithm,
    data: Iterable[Slice],
    *,
    start: datetime | None = None,
    quota: QuotaConfig | None = None,
    refill: Refill = "wall",
    real_clock: Clock | None = None,
    bucket: LeakyBucket | None = None,
    progress: Progress | None = None,
    events: EventLog | None = None,
    warm_up: int = 0,
) -> RunResult:
    """Run ``algorithm`` over historical ``data`` and return what happened.

    Before each slice, every scheduled event due strictly before the
    slice's time fires in time order (ties in the order added), with the
    algorithm's time set to the event's own time; then ``on_data`` gets the
    slice. Training runs inline and simulated time stands still meanwhile.

    Args:
        algorithm: A fresh algorithm object.
        data: Slices in time order.
        start: The algorithm's start time; default midnight (New York) of
            the first slice's date. ``initialize`` runs at this time.
        quota: The quota settings; default LEAN's.
        refill: What refills the bucket: ``"wall"`` (real) time, as LEAN
            does, or ``"simulated"`` time.
        real_clock: The clock that training and slices are measured on;
            default the machine's (a :class:`ManualClock` in tests).
        bucket: Use this bucket instead of one made from ``quota``.
        progress: Called with (slices done, algorithm time) now and then.
        events: Where to record training runs and skipped occurrences;
            subscribe to it for a live stream. It is closed at the end.
        warm_up: How many leading slices only fill :meth:`Algorithm.history`:
            the algorithm starts after them, so training at start has
            history to learn from. They reach neither ``on_data`` nor the
            scheduler.

    Raises:
        TrainingFailed: A training run raised.
        TimeLoopExceeded: A slice took longer than the time-loop maximum.
        StrategyError: ``initialize``, ``on_data`` or ``on_end`` raised.
        DataError: A slice is older than the algorithm's time (out of
            order, or before ``start``).
        ValueError: ``data`` is empty (after the warm-up), ``refill`` is
            unknown, or ``warm_up`` is negative.
    """
    if refill not in ("wall", "simulated"):
        raise ValueError(f"`refill` must be 'wall' or 'simulated' (got {refill!r})")

    if warm_up < 0:
        raise ValueError(f"`warm_up` must be >= 0 slices (got {warm_up})")

    slices = iter(data)
    history = list(itertools.islice(slices, warm_up))
    first, slices = _first_slice(slices, warm_up=len(history))

    quota = quota or QuotaConfig()
    real = real_clock or RealClock()
    simulated_start = start or _start_after(history, first)
    simulated = ManualClock(simulated_start)
    if bucket is None and not quota.is_unlimited:
        bucket = quota.make_bucket(real if refill == "wall" else simulated)

    trainer = Trainer(bucket, clock=real)
    events = events or EventLog()
    runtime = attach_runtime(algorithm, Mode.BACKTEST, simulated, trainer, events)
    for data_slice in history:
        algorithm._remember(data_slice)
    guard = time_loop_guard(quota, real, trainer)
    tally = Tally(bucket, trainer, simulated)
    began = time.monotonic()

    loop = _BacktestLoop(algorithm, runtime, guard, simulated, tally, progress)

    async def drive() -> None:
        await call_strategy(guard, "initialize", algorithm.initialize(), algorithm)
        await loop.run(itertools.chain([first], slices))
        await call_strategy(guard, "on_end", algorithm.on_end(), algorithm)

    tally.note_level()
    with closing(events):
        await with_guard(guard, drive)
    if progress is not None:
        progress(tally.slices, simulated.now())

    period = (runtime.local(simulated_start), runtime.local(simulated.now()))
    return make_result(algorithm, Mode.BACKTEST, tally, events, period, began)


def _start_after(history: list[Slice], first: Slice) -> datetime:
    """Midnight (New York) before the first slice, but never before the warm-up."""
    midnight = _midnight_before(first.time)
    return max(midnight, history[-1].time) if history else midnight


def _first_slice(
    data: Iterable[Slice], *, warm_up: int = 0
) -> tuple[Slice, Iterator[Slice]]:
    """The first slice of ``data``, and an iterator over the rest.

    Raises:
        ValueError: ``data`` is empty.
        TypeError: Its first item is not a :class:`Slice`.
    """
    slices = iter(data)
    first = next(slices, None)
    if first is None and warm_up:
        raise ValueError(f"`data` holds {warm_up} slices, all taken by `warm_up`")
    if first is None:
        raise ValueError("`data` holds no slices")
    if not isinstance(first, Slice):
        raise TypeError(f"`data` must hold Slice objects (got {first!r})")

    return first, slices


@attrs.define(eq=False)
class _BacktestLoop:
    """The per-slice work of a backtest, kept tight: it runs once per bar."""

    algorithm: Algorithm
    runtime: Runtime
    guard: TimeLoopGuard
    simulated: ManualClock
    tally: Tally
    progress: Progress | None

    async def run(self, slices: Iterable[Slice]) -> None:
        """Feed every slice to the algorithm, firing due events before each."""
        scheduler, guard, algorithm = self.runtime.scheduler, self.guard, self.algorithm
        for number, data_slice in enumerate(slices, start=1):
            guard.begin_slice()
            next_event = scheduler.next_time()
            if next_event is not None and next_event < data_slice.time:
                await self._fire_events_before(data_slice.time)

            self._move_to(number, data_slice)
            algorithm._remember(data_slice)
            try:
                await algorithm.on_data(data_slice)
            except (AiotrainError, anyio.get_cancelled_exc_class()):
                raise
            except Exception as error:
                raise strategy_error("on_data", error, algorithm) from error
            guard.end_slice()

            self.tally.count_slice()
            if self.progress is not None and number % 250 == 0:
                self.progress(number, data_slice.time)

    async def _fire_events_before(self, time: datetime) -> None:
        for occurrence in self.runtime.scheduler.due_before(time):
            self.simulated.set(occurrence.time)
            await occurrence.event.action(occurrence)

    def _move_to(self, number: int, data_slice: Slice) -> None:
        """Set the algorithm's time; a slice from its past is refused."""
        try:
            self.simulated.set(data_slice.time)
        except ClockError:
            raise DataError(
                f"slice {number} at {data_slice.time} is before the algorithm's time "
                f"{self.simulated.now()}: slices must be in time order"
            ) from None


async def live(
    algorithm: Algorithm,
    feed: AsyncIterable[Slice],
    *,
    clock: Clock | None = None,
    real_clock: Clock | None = None,
    quota: QuotaConfig | None = None,
    bucket: LeakyBucket | None = None,
    stop_on_failure: bool = False,
    grace_period: float = 2.0,
    events: EventLog | None = None,
) -> RunResult:
    """Run ``algorithm`` on a live ``feed`` until it ends or the caller cancels.

    Training runs beside the data loop in the algorithm's task group;
    scheduled events fire on ``clock`` (no polling). When the feed ends or
    the caller cancels, scheduling stops and training runs are cancelled;
    a sync training gets ``grace_period`` seconds, then is abandoned (and
    still charged while its thread runs).

    Args:
        algorithm: A fresh algorithm object.
        feed: Slices as they arrive, e.g. :func:`replay` of history.
        clock: The algorithm's clock: its time, the rules and the quota's
            refill; default the machine's.
        real_clock: The clock training and slices are measured and charged
            on; default ``clock``. Give the machine's clock when ``clock``
            is a sped-up replay, so a second of training costs a second.
        quota: The quota settings; default LEAN's.
        bucket: Use this bucket (e.g. a persistent one) instead.
        stop_on_failure: A failed training stops the algorithm instead of
            being logged while the previous model keeps serving.
        grace_period: Seconds a stopping sync training may still take.
        events: Where to record training runs and skipped occurrences;
            subscribe to it for a live stream. It is closed at the end.

    Raises:
        TrainingFailed: With ``stop_on_failure``, a training run raised.
        TimeLoopExceeded: A slice took longer than the time-loop maximum.
        StrategyError: ``initialize``, ``on_data`` or ``on_end`` raised.
    """
    quota = quota or QuotaConfig()
    clock = clock or RealClock()
    if bucket is None and not quota.is_unlimited:
        bucket = quota.make_bucket(clock)

    real = real_clock or clock
    trainer = Trainer(bucket, clock=real, grace_period=grace_period, history=10_000)
    events = events or EventLog(keep=10_000)
    runtime = attach_runtime(
        algorithm, Mode.LIVE, clock, trainer, events, stop_on_failure=stop_on_failure
    )
    guard = time_loop_guard(quota, real, trainer)
    tally = Tally(bucket, trainer, clock)
    start = runtime.local(clock.now())
    began = time.monotonic()

    async def drive() -> None:
        try:
            async with anyio.create_task_group() as group:
                runtime.task_group = group
                await call_strategy(
                    guard, "initialize", algorithm.initialize(), algorithm
                )
                group.start_soon(runtime.scheduler.run_live, group)
                async for data_slice in _checked_feed(feed, tally):
                    await _live_slice(algorithm, guard, clock, data_slice)
                    tally.count_slice()
                group.cancel_scope.cancel()
        finally:
            # The group is gone: a train() from on_end runs inline to its end.
            runtime.task_group = None

        await call_strategy(guard, "on_end", algorithm.on_end(), algorithm)

    tally.note_level()
    with closing(events):
        await with_guard(guard, drive)
    period = (start, runtime.local(clock.now()))
    return make_result(algorithm, Mode.LIVE, tally, events, period, began)


async def _live_slice(
    algorithm: Algorithm, guard: TimeLoopGuard, clock: Clock, data_slice: Slice
) -> None:
    guard.begin_slice()
    algorithm._remember(data_slice)
    await call_strategy(None, "on_data", algorithm.on_data(data_slice), algorithm)
    guard.end_slice()


async def _checked_feed(
    feed: AsyncIterable[Slice], tally: Tally
) -> AsyncIterator[Slice]:
    """The feed's slices; an error the feed raises says how far it got."""
    slices = aiter(feed)
    while True:
        try:
            data_slice = await anext(slices)
        except StopAsyncIteration:
            return
        except (AiotrainError, anyio.get_cancelled_exc_class()):
            raise
        except Exception as error:
            raise DataError(
                f"the live feed raised after {tally.slices} slices: {type(error).__name__}: {error}"
            ) from error

        yield data_slice


async def replay(data: Iterable[Slice], clock: Clock) -> AsyncIterator[Slice]:
    """Turn historical slices into a live feed: each arrives at its time on ``clock``.

    Use a :class:`RealClock` started at the first slice's time and sped up
    (``RealClock(start, speed=3600)`` plays an hour a second). Slices whose
    time has passed are yielded at once.
    """
    for data_slice in data:
        delay = (data_slice.time - clock.now()).total_seconds()
        if delay > 0:
            await clock.sleep_until(clock.monotonic() + delay)
        yield data_slice


def _midnight_before(when: datetime) -> datetime:
    from zoneinfo import ZoneInfo

    local = when.astimezone(ZoneInfo("America/New_York"))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight < when else midnight - timedelta(days=1)
