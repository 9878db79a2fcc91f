"""Training run handles: status, timing, tokens drawn, and the outcome."""

from __future__ import annotations

import enum
from collections.abc import Generator
from datetime import datetime
from typing import Any, final

import anyio
import attrs

from ._errors import TrainingFailed

__all__ = ["RunRecord", "RunStatus", "TrainingRun", "failure_error"]


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
