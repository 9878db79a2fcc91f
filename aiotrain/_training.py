"""Training runs: metering against the quota, executors, and run handles.

A training run is one call of a user's training function. While it runs, a
meter draws one quota token at each whole minute of elapsed real time (the
first minute is free, as in LEAN). When the bucket refuses a token the run
is cancelled at that boundary with :class:`QuotaExhausted`: the meter is a
clock timer, not a poll, so the stop lands within the event loop's latency.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal, final

import anyio
import anyio.abc
import anyio.to_process
import anyio.to_thread
import attrs
from anyio.from_thread import check_cancelled

from ._clock import Clock, RealClock
from ._errors import QuotaExhausted
from ._meter import MINUTE, Meter
from ._quota import LeakyBucket
from ._readiness import ModelSlot
from ._runs import RunRecord, RunStatus, TrainingRun, failure_error
from ._threads import ThreadLink

__all__ = [
    "RunRecord",
    "RunStatus",
    "Trainer",
    "TrainingRun",
    "check_cancelled",
    "failure_error",
]

logger = logging.getLogger("aiotrain.training")

Executor = Literal["thread", "process"]


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
        if not grace_period >= 0:
            raise ValueError(
                f"`grace_period` must be >= 0 seconds (got {grace_period!r})"
            )
        if history is not None and history < 1:
            raise ValueError(f"`history` must be positive or None (got {history!r})")

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
        if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(
            function
        ):
            name = _function_name(function)
            raise TypeError(
                f"a training function must return its model, not yield it (got generator function {name})"
            )

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
        try:
            await self._execute(run, function, slot, executor)
        finally:
            if slot is not None and run.status in _FAILURES:
                slot.note_failure(run.record())

    async def _execute(
        self,
        run: TrainingRun,
        function: Callable[[], Any],
        slot: ModelSlot[Any] | None,
        executor: Executor,
    ) -> None:
        with anyio.CancelScope() as scope:
            meter = self._start(run, scope)
            try:
                with slot.training() if slot is not None else contextlib.nullcontext():
                    await self._call(run, function, slot, executor, meter)
            except anyio.get_cancelled_exc_class():
                # The quota may have refused a token at the very instant the
                # caller cancelled: the run still ends, as quota exhausted.
                if run.status is RunStatus.QUOTA_EXHAUSTED:
                    error = self._exhausted_error(run)
                    self._finish(run, meter, RunStatus.QUOTA_EXHAUSTED, error)
                else:
                    self._finish(run, meter, RunStatus.CANCELLED, None)
                raise
            except Exception as error:
                self._finish(run, meter, RunStatus.FAILED, error)
                return
            except BaseException as error:
                self._finish(run, meter, RunStatus.FAILED, error)
                raise

        if run.ended is not None:
            return  # the quota's own cancellation, already recorded above
        if run.status is RunStatus.QUOTA_EXHAUSTED:
            self._finish(
                run, meter, RunStatus.QUOTA_EXHAUSTED, self._exhausted_error(run)
            )
        else:
            self._finish(run, meter, RunStatus.SUCCEEDED, None)

    def _start(self, run: TrainingRun, scope: anyio.CancelScope) -> Meter | None:
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

        meter = Meter(self.bucket, self.clock, run, self._count_token, refused)
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
        meter: Meter | None,
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
        self, run: TrainingRun, function: Callable[[], Any], meter: Meter | None
    ) -> Any:
        """Run a sync function in a worker thread.

        A thread cannot be interrupted. When the run is stopped from outside,
        the thread gets ``grace_period`` seconds to return (it can call
        :func:`check_cancelled` to notice the stop); after that it is
        abandoned, and its meter keeps charging the quota until the thread
        really ends. When the quota runs out the run stops at once.
        """
        thread_done = anyio.Event()
        link = ThreadLink(on_end=[thread_done.set])

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

    def _abandon(self, run: TrainingRun, meter: Meter | None, link: ThreadLink) -> None:
        """Leave a still-running thread behind; its meter stops when it ends."""
        stop_meter = meter.stop if meter is not None else _nothing_to_stop
        if not link.abandon(stop_meter):
            return

        if run.status is RunStatus.RUNNING:
            run.status = RunStatus.ABANDONED
        if meter is not None:
            meter.detach()

    def _finish(
        self,
        run: TrainingRun,
        meter: Meter | None,
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


_FAILURES = (RunStatus.FAILED, RunStatus.QUOTA_EXHAUSTED)


def _nothing_to_stop() -> None:
    return None


def _function_name(function: Callable[..., Awaitable[Any] | Any]) -> str:
    return (
        getattr(function, "__qualname__", None)
        or getattr(function, "__name__", None)
        or repr(function)
    )
