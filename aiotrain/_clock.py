"""Clocks: one object gives wall time, monotonic time, timers and sleeping.

Every part of aiotrain that looks at time takes a clock, so tests and
backtests can swap the machine's clock for a :class:`ManualClock` and assert
exact virtual times.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol, final, runtime_checkable

import anyio
import attrs

from ._errors import ClockError

__all__ = ["Clock", "ManualClock", "RealClock", "TimerHandle"]


@runtime_checkable
class TimerHandle(Protocol):
    """A scheduled callback that can still be called off."""

    def cancel(self) -> None:
        """Call the callback off; does nothing if it already ran."""


@runtime_checkable
class Clock(Protocol):
    """What aiotrain needs from a clock.

    ``now()`` is time-zone-aware UTC wall time, used by calendar rules.
    ``monotonic()`` is seconds on a clock that never goes backwards, used for
    durations, deadlines and sleeping. Deadlines are always monotonic values.
    """

    def now(self) -> datetime:
        """The current wall time, aware, in UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""

    def call_at(self, deadline: float, callback: Callable[[], None]) -> TimerHandle:
        """Call ``callback`` on the event loop once ``monotonic()`` reaches ``deadline``."""

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until ``monotonic()`` reaches ``deadline``; a checkpoint even if it has."""


def _check_aware(when: datetime, name: str) -> datetime:
    if not isinstance(when, datetime):
        raise ClockError(f"`{name}` must be an aware datetime (got {when!r})")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ClockError(
            f"`{name}` must be time-zone aware (got naive {when.isoformat()})"
        )

    return when.astimezone(UTC)


def _check_seconds(seconds: float, name: str) -> float:
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not math.isfinite(seconds)
    ):
        raise ClockError(
            f"`{name}` must be a finite number of seconds (got {seconds!r})"
        )

    return float(seconds)


@final
@attrs.define(eq=False, init=False)
class RealClock:
    """The machine's clocks, optionally shifted and sped up.

    ``RealClock()`` reads the machine's wall clock and monotonic clock. With
    ``start``, wall time begins at that instant instead (a replay of history);
    with ``speed=N`` one real second counts as ``N`` clock seconds, so a
    trading day can be replayed in minutes. Durations and sleeps never use
    the machine's wall clock, only its monotonic one.

    Args:
        start: The wall time the clock shows now; default: the real time.
        speed: Clock seconds per real second; must be positive.

    Raises:
        ClockError: ``start`` is naive or ``speed`` is not a positive number.
    """

    speed: float
    _wall_origin: datetime | None
    _real_origin: float

    def __init__(self, start: datetime | None = None, *, speed: float = 1.0) -> None:
        speed = _check_seconds(speed, "speed")
        if not speed > 0 or math.isinf(speed):
            raise ClockError(
                f"`speed` must be a positive, finite number (got {speed!r})"
            )

        self.speed = speed
        self._wall_origin = None if start is None else _check_aware(start, "start")
        self._real_origin = time.monotonic()

    def monotonic(self) -> float:
        """Clock seconds since the clock was made, scaled by ``speed``."""
        return (time.monotonic() - self._real_origin) * self.speed

    def now(self) -> datetime:
        """Wall time: the real time, or ``start`` plus scaled elapsed time."""
        if self._wall_origin is None and self.speed == 1.0:
            return datetime.now(UTC)

        origin = self._wall_origin or datetime.now(UTC)
        return origin + timedelta(seconds=self.monotonic())

    def call_at(self, deadline: float, callback: Callable[[], None]) -> TimerHandle:
        """Schedule ``callback`` with the running event loop's timer."""
        loop = asyncio.get_running_loop()
        real_delay = (deadline - self.monotonic()) / self.speed
        return loop.call_at(loop.time() + real_delay, callback)

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until ``deadline``; cancellable like any anyio sleep."""
        await anyio.sleep(max(0.0, (deadline - self.monotonic()) / self.speed))


@attrs.define(eq=False)
class _ManualTimer:
    deadline: float
    callback: Callable[[], None]
    on_cancel: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self.callback = _do_nothing
            self.on_cancel()


def _do_nothing() -> None:
    return None


@final
@attrs.define(eq=False, init=False)
class ManualClock:
    """A clock that moves only when told to, for tests and backtests.

    Monotonic time starts at 0.0 however late ``start`` is, so sleeps work
    at real epoch dates without float rounding. :meth:`advance` and
    :meth:`set` run every timer whose deadline has passed, in deadline order
    (ties in the order they were set), with the clock showing each timer's own
    deadline while it runs. Time never goes backwards.

    Args:
        start: The wall time at monotonic 0.0; default 2000-01-01 UTC.

    Raises:
        ClockError: ``start`` is naive.
    """

    _start: datetime
    _elapsed: float
    _timers: list[tuple[float, int, _ManualTimer]]
    _order: itertools.count[int]
    _timer_added: asyncio.Event | None
    _cancelled: int

    def __init__(self, start: datetime | None = None) -> None:
        default = datetime(2000, 1, 1, tzinfo=UTC)
        self._start = default if start is None else _check_aware(start, "start")
        self._elapsed = 0.0
        self._timers = []
        self._order = itertools.count()
        self._timer_added = None
        self._cancelled = 0

    @property
    def start(self) -> datetime:
        """The wall time at monotonic 0.0, in UTC."""
        return self._start

    def monotonic(self) -> float:
        """Seconds of virtual time since the clock was made."""
        return self._elapsed

    def now(self) -> datetime:
        """``start`` plus the virtual time elapsed, in UTC."""
        return self._start + timedelta(seconds=self._elapsed)

    def call_at(self, deadline: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` when the clock is moved to or past ``deadline``."""
        timer = _ManualTimer(float(deadline), callback, self._count_cancelled)
        heapq.heappush(self._timers, (timer.deadline, next(self._order), timer))
        if self._timer_added is not None:
            self._timer_added.set()

        return timer

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until the clock is moved to ``deadline``; cancellable."""
        if deadline <= self._elapsed:
            await anyio.lowlevel.checkpoint()
            return

        woken = anyio.Event()
        timer = self.call_at(deadline, woken.set)
        try:
            await woken.wait()
        finally:
            timer.cancel()

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, running the timers that come due.

        Raises:
            ClockError: ``seconds`` is negative or not a finite number, or
                would move the clock past the year 9999; the clock is then
                left as it was.
        """
        seconds = _check_seconds(seconds, "seconds")
        if seconds < 0:
            raise ClockError(
                f"a clock never goes backwards: `seconds` must be >= 0 (got {seconds!r})"
            )

        target = self._elapsed + seconds
        try:
            self._start + timedelta(seconds=target)
        except OverflowError:
            raise ClockError(
                f"advancing by {seconds:g} s moves the clock past {datetime.max.replace(tzinfo=UTC)}"
            ) from None

        self._run_timers_until(target)

    def set(self, when: datetime) -> None:
        """Move wall time to ``when``, running the timers that come due.

        Raises:
            ClockError: ``when`` is naive or earlier than :meth:`now`.
        """
        if when.utcoffset() is None:
            _check_aware(when, "when")

        target = (when - self._start).total_seconds()
        if target < self._elapsed:
            raise ClockError(
                f"a clock never goes backwards: {when.isoformat()} is before {self.now().isoformat()}"
            )

        self._run_timers_until(target)

    def next_deadline(self) -> float | None:
        """The earliest pending timer's deadline, or ``None`` if none is set."""
        self._drop_cancelled()
        return self._timers[0][0] if self._timers else None

    async def run_for(self, seconds: float) -> None:
        """Advance by ``seconds`` one timer at a time, letting tasks react.

        Between timers every task runs until it blocks, so a task that sets a
        new timer inside the window sees it fire at its exact deadline.
        """
        target = self._elapsed + _check_seconds(seconds, "seconds")
        await wait_all_tasks_blocked()
        while (deadline := self.next_deadline()) is not None and deadline <= target:
            self._run_timers_until(deadline)
            await wait_all_tasks_blocked()

        self._run_timers_until(max(target, self._elapsed))
        await wait_all_tasks_blocked()

    @asynccontextmanager
    async def autojump(self) -> AsyncIterator[None]:
        """Jump to the next timer whenever every other task is blocked.

        Inside the block, virtual time passes as fast as the code allows and
        every wake-up happens at its exact deadline, as with trio's
        ``MockClock(autojump_threshold=0)``. A task blocked on a worker
        thread counts as blocked, so time may jump while the thread works.
        An error raised in the block comes out as itself, not in a group.
        Only one autojump may run at a time; drive a second clock by hand.
        """
        loop = asyncio.get_running_loop()
        if loop in _autojumping:
            raise ClockError("only one ManualClock.autojump() can run at a time")

        _autojumping[loop] = self
        try:
            async with self._jumping():
                yield
        finally:
            del _autojumping[loop]

    @asynccontextmanager
    async def _jumping(self) -> AsyncIterator[None]:
        body_error: BaseException | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(self._jump_forever)
            try:
                yield
            except BaseException as error:
                body_error = error
            finally:
                group.cancel_scope.cancel()

        if body_error is not None:
            raise body_error

    async def _jump_forever(self) -> None:
        this_task = asyncio.current_task()
        assert this_task is not None
        self._timer_added = asyncio.Event()
        _jumpers.add(this_task)
        try:
            while True:
                await _wait_until_idle()
                deadline = self.next_deadline()
                if deadline is None:
                    self._timer_added.clear()
                    await self._timer_added.wait()
                else:
                    self._run_timers_until(deadline)
        finally:
            self._timer_added = None

    def _count_cancelled(self) -> None:
        """Compact the heap once most of it is cancelled timers."""
        self._cancelled += 1
        if self._cancelled > 64 and self._cancelled * 2 > len(self._timers):
            self._timers = [entry for entry in self._timers if not entry[2].cancelled]
            heapq.heapify(self._timers)
            self._cancelled = 0

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
            self._cancelled -= 1

    def _run_timers_until(self, target: float) -> None:
        while self._timers and self._timers[0][0] <= target:
            deadline, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                self._cancelled -= 1
                continue

            timer.cancelled = True
            self._elapsed = max(self._elapsed, deadline)
            timer.callback()

        self._elapsed = target


# Tasks inside wait_all_tasks_blocked(), and the autojump tasks. Callers of
# wait_all_tasks_blocked() count each other and the jumpers as blocked; a
# jumper moves time only when no caller is still waiting to look, so a test
# that waits for the loop to settle always sees it before time jumps.
_settling: weakref.WeakSet[asyncio.Task[object]] = weakref.WeakSet()
_jumpers: weakref.WeakSet[asyncio.Task[object]] = weakref.WeakSet()
_autojumping: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ManualClock] = (
    weakref.WeakKeyDictionary()
)


async def wait_all_tasks_blocked() -> None:
    """Return once every other task of the loop is waiting on something.

    A quicker cousin of ``anyio.wait_all_tasks_blocked`` for asyncio: it
    yields with ``sleep(0)`` instead of sleeping 0.1 s between looks. Other
    tasks inside this function, and :meth:`ManualClock.autojump`, count as
    blocked.
    """
    this_task = asyncio.current_task()
    assert this_task is not None
    _settling.add(this_task)
    try:
        while True:
            await asyncio.sleep(0)
            others = (task for task in asyncio.all_tasks() if task is not this_task)
            if all(
                task in _settling or task in _jumpers or _is_blocked(task)
                for task in others
            ):
                return
    finally:
        _settling.discard(this_task)


async def _wait_until_idle() -> None:
    """Wait until no other task can run, none is settling, and no callback is due."""
    this_task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(0)
        others = [task for task in asyncio.all_tasks() if task is not this_task]
        settling = any(task in _settling for task in others)
        callbacks_due = len(getattr(loop, "_ready", ()))
        if (
            not settling
            and not callbacks_due
            and all(_is_blocked(task) for task in others)
        ):
            return


def _is_blocked(task: asyncio.Task[object]) -> bool:
    waiter = getattr(task, "_fut_waiter", None)
    return waiter is not None and not waiter.done()
