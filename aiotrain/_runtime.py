"""The engine's side of a running algorithm, shared by both runners.

A :class:`Runtime` holds the clocks, trainer and scheduler an algorithm's
``train`` and ``schedule`` calls reach; the helpers here call a strategy's
methods, wrap what they raise, and run the time-loop guard's watchdog.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import anyio
import anyio.abc
import attrs

from ._algorithm import Algorithm, Mode
from ._clock import Clock
from ._config import QuotaConfig
from ._errors import AiotrainError, StrategyError
from ._events import EventLog
from ._guard import TimeLoopGuard
from ._readiness import ModelSlot
from ._rule_base import DateRule, TimeRule
from ._scheduler import Occurrence, ScheduledEvent, Scheduler
from ._training import Executor, RunStatus, Trainer, TrainingRun, failure_error

__all__ = [
    "Runtime",
    "attach_runtime",
    "call_strategy",
    "closing",
    "strategy_error",
    "time_loop_guard",
    "with_guard",
]


@attrs.define(eq=False)
class Runtime:
    """The engine's side of an algorithm: clocks, trainer and scheduler."""

    algorithm: Algorithm
    mode: Mode
    algorithm_clock: Clock
    trainer: Trainer
    scheduler: Scheduler
    stop_on_failure: bool = False
    task_group: anyio.abc.TaskGroup | None = None

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.algorithm.time_zone)

    async def train_now(
        self,
        function: Callable[[], Any],
        *,
        name: str | None,
        slot: ModelSlot[Any] | None,
        executor: Executor,
    ) -> TrainingRun:
        when = self.local(self.algorithm_clock.now())
        if self.mode is Mode.BACKTEST and self.trainer.running:
            raise AiotrainError(
                "train() was called from inside a training run; in a backtest the "
                "inner run would be charged on top of the outer one: call the "
                "function directly instead"
            )
        if self.task_group is None:
            run = await self.trainer.run(
                function, name=name, scheduled_time=when, slot=slot, executor=executor
            )
            raise_if_failed(run)
            return run

        return self.trainer.spawn(
            self.task_group,
            function,
            name=name,
            scheduled_time=when,
            slot=slot,
            executor=executor,
            stop_on_failure=self.stop_on_failure,
        )

    def train_on_schedule(
        self,
        date_rule: DateRule,
        time_rule: TimeRule,
        function: Callable[[], Any],
        *,
        name: str | None,
        slot: ModelSlot[Any] | None,
        executor: Executor,
    ) -> ScheduledEvent:
        self.trainer.new_run(function)

        async def action(occurrence: Occurrence) -> None:
            run = self.trainer.new_run(
                function,
                name=occurrence.name,
                scheduled_time=self.local(occurrence.time),
            )
            if self.task_group is None:
                await self.trainer.execute(run, function, slot=slot, executor=executor)
                raise_if_failed(run)
            else:
                await self.trainer.supervise(
                    run, function, slot, executor, self.stop_on_failure
                )

        return self.scheduler.add(
            date_rule, time_rule, action, name=name, start=self.algorithm_clock.now()
        )


def raise_if_failed(run: TrainingRun) -> None:
    if run.status is RunStatus.FAILED:
        raise failure_error(run) from run.exception


def time_loop_guard(
    quota: QuotaConfig, clock: Clock, trainer: Trainer
) -> TimeLoopGuard:
    """The time-loop guard of a run, measuring on ``clock``."""
    return TimeLoopGuard(
        quota.time_loop_maximum, clock=clock, tokens_drawn=lambda: trainer.tokens_drawn
    )


def attach_runtime(
    algorithm: Algorithm,
    mode: Mode,
    clock: Clock,
    trainer: Trainer,
    events: EventLog,
    *,
    stop_on_failure: bool = False,
) -> Runtime:
    check_async_methods(algorithm)
    trainer.on_record = events.record
    scheduler = Scheduler(clock, on_notice=events.notice)
    runtime = Runtime(algorithm, mode, clock, trainer, scheduler, stop_on_failure)
    algorithm._attach(runtime)
    return runtime


def check_async_methods(algorithm: Algorithm) -> None:
    for method in ("initialize", "on_data", "on_end"):
        if not inspect.iscoroutinefunction(getattr(algorithm, method)):
            raise TypeError(
                f"{type(algorithm).__name__}.{method} must be defined with `async def`"
            )


async def call_strategy(
    guard: TimeLoopGuard | None, method: str, call: Any, algorithm: Algorithm
) -> None:
    """Await one of the strategy's methods; wrap what it raises with the place."""
    if guard is not None:
        guard.begin_slice()
    try:
        await call
    except (AiotrainError, anyio.get_cancelled_exc_class()):
        raise
    except Exception as error:
        raise strategy_error(method, error, algorithm) from error
    finally:
        if guard is not None:
            guard.end_slice()


def strategy_error(
    method: str, error: Exception, algorithm: Algorithm
) -> StrategyError:
    when = f"{algorithm.time:%Y-%m-%d %H:%M:%S %Z}"
    return StrategyError(
        f"{method}() raised at {when}: {type(error).__name__}: {error}"
    )


async def with_guard(guard: TimeLoopGuard, work: Callable[[], Any]) -> None:
    """Run ``work`` beside the guard's watchdog; raise the first real error plainly."""
    error: BaseException | None = None
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(guard.watch)
            await work()
            group.cancel_scope.cancel()
    except BaseExceptionGroup as group_error:
        error = first_error(group_error)

    if error is not None:
        raise error


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return first_error(error)
        if not isinstance(error, anyio.get_cancelled_exc_class()):
            return error

    return group.exceptions[0]


@contextlib.contextmanager
def closing(events: EventLog) -> Iterator[None]:
    try:
        yield
    finally:
        events.close()
