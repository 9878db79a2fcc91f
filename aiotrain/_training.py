"""Training runs: metering against the quota, executors, and run handles.

A training run is one call of a user's training function. While it runs, a
meter draws one quota token at each whole minute of elapsed real time (the
first minute is free, as in LEAN). When the bucket refuses a token the run
is cancelled at that boundary with :class:`QuotaExhausted`: the meter is a
clock timer, not a poll, so the stop lands within the event loop's latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import logging
import math
import threading
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from datetime import datetime
from typing import Any, Literal, final

import anyio
import anyio.abc
import anyio.to_process
import anyio.to_thread
import attrs
from anyio.from_thread import check_cancelled

from ._clock import Clock, RealClock, TimerHandle
from ._errors import QuotaExhausted, TrainingFailed
from ._quota import LeakyBucket
from ._readiness import ModelSlot

__all__ = [
    "RunRecord",
    "RunStatus",
    "Trainer",
    "TrainingRun",
    "check_cancelled",
    "failure_error",
]

logger = logging.getLogger("aiotrain.training")

MINUTE = 60.0

Executor = Literal["thread", "process"]


class RunStatus(enum.Enum):
    """Where a training run stands."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    QUOTA_EXHAUSTED = "quota exhausted"
    ABANDONED = "abandoned"

    @property
    def finished(self) -> bool:
        """Whether the run has ended, one way or another."""
        return self not in (RunStatus.PENDING, RunStatus.RUNNING)


@final
@attrs.frozen
class RunRecord:
    """A finished run's summary, small enough to keep thousands of.

    Times are the real clock's wall times; ``error`` is the exception's
    type and message, never the exception itself (which would keep the
    training's data alive through its traceback).
    """

    name: str
    scheduled_time: datetime | None
    started_at: datetime | None
    duration: float
    tokens_drawn: int
    status: RunStatus
    error: str | None


@final
@attrs.define(eq=False)
class TrainingRun:
    """A handle on one training run; ``await run`` gives its result.

    Attributes:
        name: The run's name (the scheduled event's name, or the function's).
        scheduled_time: When the run was due on the algorithm's clock.
        status: A :class:`RunStatus`.
        started_at: Real wall time when it started.
        started, ended: Real monotonic times of start and end.
        tokens_drawn: Quota tokens (minutes) this run drew.
        exception: What the run raised, if it failed or ran out of quota.
    """

    name: str
    scheduled_time: datetime | None = None
    status: RunStatus = RunStatus.PENDING
    started_at: datetime | None = None
    started: float | None = None
    ended: float | None = None
    tokens_drawn: int = 0
    exception: BaseException | None = None
    _result: Any = None
    _done: anyio.Event = attrs.field(factory=anyio.Event)

    @property
    def duration(self) -> float:
        """Seconds of real time from start to end (so far, if still running)."""
        if self.started is None:
            return 0.0

        return (self.ended if self.ended is not None else self.started) - self.started

    @property
    def result(self) -> Any:
        """The function's return value.

        Raises:
            RuntimeError: The run has not succeeded.
        """
        if self.status is not RunStatus.SUCCEEDED:
            raise RuntimeError(
                f"training run {self.name!r} has no result: it is {self.status.value}"
            )

        return self._result

    async def wait(self) -> None:
        """Wait until the run has ended, however it ended."""
        await self._done.wait()

    def __await__(self) -> Generator[Any, None, Any]:
        return self._outcome().__await__()

    async def _outcome(self) -> Any:
        await self._done.wait()
        if self.exception is not None:
            raise self.exception

        return self.result

    def record(self) -> RunRecord:
        """A small, frozen summary of the run."""
        error = (
            None
            if self.exception is None
            else f"{type(self.exception).__name__}: {self.exception}"
        )
        return RunRecord(
            self.name,
            self.scheduled_time,
            self.started_at,
            self.duration,
            self.tokens_drawn,
            self.status,
            error,
        )


@attrs.define(eq=False)
class _Meter:
    """Draws one token per whole minute of a run; cancels it when refused."""

    bucket: LeakyBucket
    clock: Clock
    run: TrainingRun
    on_token: Callable[[], None]
    on_refused: Callable[[], None]
    _timer: TimerHandle | None = None

    def start(self) -> None:
        self._schedule(1)

    def detach(self) -> None:
        """Keep charging after the run has ended, but never cancel anything."""
        self.on_refused = _do_nothing

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self, minute: int) -> None:
        self._timer = self.clock.call_at(self._boundary(minute), self._draw)

    def _boundary(self, minute: int) -> float:
        assert self.run.started is not None
        return self.run.started + minute * MINUTE

    def _draw(self) -> None:
        """Draw one token for each whole minute passed, catching up if late."""
        self._timer = None
        while self._boundary(self.run.tokens_drawn + 1) <= self.clock.monotonic():
            if not self.bucket.try_consume(1):
                self.on_refused()
                return

            self.run.tokens_drawn += 1
            self.on_token()

        self._schedule(self.run.tokens_drawn + 1)


@final
@attrs.define(eq=False, init=False)
class Trainer:
    """Runs training functions as metered training runs.

    Args:
        bucket: The quota; ``None`` for an unlimited one.
        clock: The real-time clock that durations are measured and charged
            on (a :class:`ManualClock` in tests); default :class:`RealClock`.
        grace_period: Seconds a stop waits for a sync training thread
            before abandoning it.
        history: How many finished-run records to keep (``None``: all).
        on_record: Called with each finished run's record.
    """

    bucket: LeakyBucket | None
    clock: Clock
    grace_period: float
    records: deque[RunRecord]
    tokens_drawn: int
    runs_started: int
    running: int
    on_record: Callable[[RunRecord], None] | None

    def __init__(
        self,
        bucket: LeakyBucket | None = None,
        *,
        clock: Clock | None = None,
        grace_period: float = 2.0,
        history: int | None = None,
        on_record: Callable[[RunRecord], None] | None = None,
    ) -> None:
        self.bucket = bucket
        self.clock = RealClock() if clock is None else clock
        self.grace_period = grace_period
        self.records = deque(maxlen=history)
        self.tokens_drawn = 0
        self.runs_started = 0
        self.running = 0
        self.on_record = on_record

    async def run(
        self,
        function: Callable[[], Any],
        *,
        name: str | None = None,
        scheduled_time: datetime | None = None,
        slot: ModelSlot[Any] | None = None,
        executor: Executor = "thread",
    ) -> TrainingRun:
        """Run ``function`` to the end and return its finished run.

        Async functions are awaited; sync ones run in a worker thread (or a
        process, with ``executor="process"``) so the event loop keeps
        running. A run that fails or runs out of quota is returned with its
        status and exception set, not raised. If ``slot`` is given, the
        function's return value is published into it.

        Cancelling the caller cancels the run (status ``CANCELLED``, or
        ``ABANDONED`` for a sync function still running in its thread) and
        re-raises the cancellation.
        """
        run = self.new_run(function, name=name, scheduled_time=scheduled_time)
        await self.execute(run, function, slot=slot, executor=executor)
        return run

    def spawn(
        self,
        group: anyio.abc.TaskGroup,
        function: Callable[[], Any],
        *,
        name: str | None = None,
        scheduled_time: datetime | None = None,
        slot: ModelSlot[Any] | None = None,
        executor: Executor = "thread",
        stop_on_failure: bool = False,
    ) -> TrainingRun:
        """Start ``function`` in ``group`` and return its running handle at once.

        A run that fails or runs out of quota is recorded and logged on the
        ``aiotrain.training`` logger, and the slot keeps its previous
        version; with ``stop_on_failure`` it raises :class:`TrainingFailed`
        into the task group instead, which stops the group.
        """
        run = self.new_run(function, name=name, scheduled_time=scheduled_time)
        group.start_soon(
            self.supervise,
            run,
            function,
            slot,
            executor,
            stop_on_failure,
            name=f"training {run.name}",
        )
        return run

    async def supervise(
        self,
        run: TrainingRun,
        function: Callable[[], Any],
        slot: ModelSlot[Any] | None,
        executor: Executor,
        stop_on_failure: bool,
    ) -> None:
        """Run a pending ``run`` to its end in live mode; see :meth:`spawn`."""
        await self.execute(run, function, slot=slot, executor=executor)
        if run.exception is None:
            return

        if stop_on_failure:
            raise failure_error(run) from run.exception

        _log_and_release(run)

    def new_run(
        self,
        function: Callable[[], Any],
        *,
        name: str | None = None,
        scheduled_time: datetime | None = None,
    ) -> TrainingRun:
        """A pending run handle for ``function``; :meth:`execute` starts it.

        Raises:
            TypeError: ``function`` is not callable.
        """
        if not callable(function):
            raise TypeError(f"a training function must be callable (got {function!r})")

        return TrainingRun(name or _function_name(function), scheduled_time)

    async def execute(
        self,
        run: TrainingRun,
        function: Callable[[], Any],
        *,
        slot: ModelSlot[Any] | None = None,
        executor: Executor = "thread",
    ) -> None:
        """Run a pending ``run`` to its end; see :meth:`run`."""
        with anyio.CancelScope() as scope:
            meter = self._start(run, scope)
            try:
                with slot.training() if slot is not None else contextlib.nullcontext():
                    await self._call(run, function, slot, executor, meter)
            except anyio.get_cancelled_exc_class():
                if run.status is not RunStatus.QUOTA_EXHAUSTED:
                    self._finish(run, meter, RunStatus.CANCELLED, None)
                raise
            except Exception as error:
                self._finish(run, meter, RunStatus.FAILED, error)
                return
            except BaseException as error:
                self._finish(run, meter, RunStatus.FAILED, error)
                raise

        if run.status is RunStatus.QUOTA_EXHAUSTED:
            self._finish(
                run, meter, RunStatus.QUOTA_EXHAUSTED, self._exhausted_error(run)
            )
        else:
            self._finish(run, meter, RunStatus.SUCCEEDED, None)

    def _start(self, run: TrainingRun, scope: anyio.CancelScope) -> _Meter | None:
        run.status = RunStatus.RUNNING
        run.started = self.clock.monotonic()
        run.started_at = self.clock.now()
        self.runs_started += 1
        self.running += 1
        if self.bucket is None or math.isinf(self.bucket.capacity):
            return None

        def refused() -> None:
            run.status = RunStatus.QUOTA_EXHAUSTED
            scope.cancel()

        meter = _Meter(self.bucket, self.clock, run, self._count_token, refused)
        meter.start()
        return meter

    def _count_token(self) -> None:
        self.tokens_drawn += 1

    async def _call(
        self,
        run: TrainingRun,
        function: Callable[[], Any],
        slot: ModelSlot[Any] | None,
        executor: Executor,
        meter: _Meter | None,
    ) -> None:
        if inspect.iscoroutinefunction(function):
            result = await function()
        elif executor == "process":
            result = await anyio.to_process.run_sync(function, cancellable=True)
        else:
            result = await self._call_in_thread(run, function, meter)

        if inspect.isawaitable(result):
            result = await result
        if slot is not None:
            slot.publish(result)

        run._result = result

    async def _call_in_thread(
        self, run: TrainingRun, function: Callable[[], Any], meter: _Meter | None
    ) -> Any:
        """Run a sync function in a worker thread.

        A thread cannot be interrupted. When the run is stopped from outside,
        the thread gets ``grace_period`` seconds to return (it can call
        :func:`check_cancelled` to notice the stop); after that it is
        abandoned, and its meter keeps charging the quota until the thread
        really ends. When the quota runs out the run stops at once.
        """
        thread_done = anyio.Event()
        link = _ThreadLink(on_end=[thread_done.set])

        def work() -> Any:
            if not link.thread_starts():
                return None
            try:
                return function()
            finally:
                link.thread_ends()

        try:
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            if run.status is RunStatus.RUNNING:
                await self._grace(thread_done)
            if not thread_done.is_set():
                self._abandon(run, meter, link)
            raise

    async def _grace(self, thread_done: anyio.Event) -> None:
        with anyio.CancelScope(shield=True), anyio.move_on_after(self.grace_period):
            await thread_done.wait()

    def _abandon(
        self, run: TrainingRun, meter: _Meter | None, link: _ThreadLink
    ) -> None:
        """Leave a still-running thread behind; its meter stops when it ends."""
        stop_meter = meter.stop if meter is not None else _do_nothing
        if not link.abandon(stop_meter):
            return

        if run.status is RunStatus.RUNNING:
            run.status = RunStatus.ABANDONED
        if meter is not None:
            meter.detach()

    def _finish(
        self,
        run: TrainingRun,
        meter: _Meter | None,
        status: RunStatus,
        error: BaseException | None,
    ) -> None:
        if meter is not None and run.status is not RunStatus.ABANDONED:
            meter.stop()

        self.running -= 1
        run.ended = self.clock.monotonic()
        if run.status is not RunStatus.ABANDONED:
            run.status = status
        run.exception = error
        record = run.record()
        self.records.append(record)
        if self.on_record is not None:
            self.on_record(record)
        run._done.set()

    def _exhausted_error(self, run: TrainingRun) -> QuotaExhausted:
        assert self.bucket is not None
        capacity = self.bucket.capacity
        elapsed = (
            run.duration
            if run.ended is not None
            else self.clock.monotonic() - (run.started or 0.0)
        )
        return QuotaExhausted(
            f"training run {run.name!r} ran out of quota after {elapsed / MINUTE:.1f} minutes: "
            f"it drew {run.tokens_drawn} minutes, and the {capacity:g}-minute bucket is empty "
            f"(the first minute of a run is free)"
        )


@attrs.define(eq=False)
class _ThreadLink:
    """What the event loop and a training thread tell each other.

    The thread may not have started when the run is stopped; then it is
    told never to start. Once it runs, the loop can ask to be called back
    when it ends.
    """

    loop: asyncio.AbstractEventLoop = attrs.field(factory=asyncio.get_running_loop)
    _state: Literal["waiting", "running", "ended", "skipped"] = "waiting"
    _on_end: list[Callable[[], None]] = attrs.field(factory=list)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def thread_starts(self) -> bool:
        """From the thread: whether to run at all."""
        with self._lock:
            if self._state == "skipped":
                return False

            self._state = "running"
            return True

    def thread_ends(self) -> None:
        """From the thread: run the end callbacks on the loop."""
        with self._lock:
            self._state = "ended"
            callbacks = list(self._on_end)

        for callback in callbacks:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(callback)

    def abandon(self, on_end: Callable[[], None]) -> bool:
        """From the loop: call ``on_end`` when the thread ends.

        Returns ``False`` (and calls nothing) if the thread never started;
        it never will.
        """
        with self._lock:
            if self._state == "waiting":
                self._state = "skipped"
                return False
            if self._state == "running":
                self._on_end.append(on_end)
                return True

        on_end()
        return True


def failure_error(run: TrainingRun) -> TrainingFailed:
    """A :class:`TrainingFailed` that says which run failed, when, and why."""
    when = (
        ""
        if run.scheduled_time is None
        else f" at {run.scheduled_time:%Y-%m-%d %H:%M:%S %Z}"
    )
    cause = f"{type(run.exception).__name__}: {run.exception}"
    return TrainingFailed(
        f"training run {run.name!r}{when} {run.status.value}: {cause}"
    )


def _log_and_release(run: TrainingRun) -> None:
    """Log a live run's failure with its traceback, then drop the traceback.

    The traceback's frames hold the training's data (often large arrays);
    nobody can catch a spawned run's error, so its memory is freed here.
    """
    error = run.exception
    assert error is not None
    details = "".join(traceback.format_exception(error)).rstrip()
    logger.error("%s\n%s", failure_error(run), details)
    error.__traceback__ = None


def _do_nothing() -> None:
    return None


def _function_name(function: Callable[..., Awaitable[Any] | Any]) -> str:
    return (
        getattr(function, "__qualname__", None)
        or getattr(function, "__name__", None)
        or repr(function)
    )
