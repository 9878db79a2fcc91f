"""What a run did: the result object and the tally kept while it runs."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import datetime
from typing import final

import attrs

from ._algorithm import Algorithm, Mode
from ._clock import Clock
from ._events import EventLog, RunEvent
from ._quota import BucketStatistics, LeakyBucket
from ._scheduler import ScheduleNotice
from ._training import RunRecord, RunStatus, Trainer

__all__ = ["RunResult", "Tally", "make_result"]


@final
@attrs.frozen
class RunResult:
    """What a backtest or a live session did.

    Attributes:
        mode: Backtest or live.
        start, end: The algorithm's first and last time (aware).
        slices: How many slices ``on_data`` handled.
        slices_while_training: How many of them arrived while a training
            run was going (live mode shows the data loop kept going).
        runs: Every training run's record, in the order they ended.
        notices: Skipped, missed and coalesced occurrences.
        quota: The bucket's state at the end (``None`` if unlimited).
        quota_levels: ``(algorithm time, tokens available)`` each time the
            level changed, starting with the first.
        report: The strategy's own figures, from :meth:`Algorithm.report`.
        wall_seconds: Real seconds the whole run took.
        events: The run record: training runs and notices, in order.
    """

    mode: Mode
    start: datetime
    end: datetime
    slices: int
    slices_while_training: int
    runs: tuple[RunRecord, ...]
    notices: tuple[ScheduleNotice, ...]
    quota: BucketStatistics | None
    quota_levels: tuple[tuple[datetime, float], ...]
    report: Mapping[str, object]
    wall_seconds: float
    events: tuple[RunEvent, ...] = ()

    @property
    def tokens_drawn(self) -> int:
        """Quota minutes drawn by all training runs."""
        return sum(run.tokens_drawn for run in self.runs)

    @property
    def exhausted_runs(self) -> tuple[RunRecord, ...]:
        """The runs stopped because the quota ran out."""
        return tuple(
            run for run in self.runs if run.status is RunStatus.QUOTA_EXHAUSTED
        )


@attrs.define(eq=False)
class Tally:
    """Counts slices and notes the quota level whenever it changes."""

    bucket: LeakyBucket | None
    trainer: Trainer
    clock: Clock
    slices: int = 0
    slices_while_training: int = 0
    levels: list[tuple[datetime, float]] = attrs.field(factory=list)
    _drawn_seen: int = -1
    _refill_due: float = -math.inf

    def count_slice(self) -> None:
        self.slices += 1
        if self.trainer.running:
            self.slices_while_training += 1
        self.note_level()

    def note_level(self) -> None:
        """Note the level if it may have changed: tokens drawn, or a refill due."""
        bucket = self.bucket
        if bucket is None:
            return

        drawn = self.trainer.tokens_drawn
        if drawn == self._drawn_seen and bucket.clock.monotonic() < self._refill_due:
            return

        level = bucket.available
        if not self.levels or self.levels[-1][1] != level:
            self.levels.append((self.clock.now(), level))
        self._drawn_seen = drawn
        self._refill_due = bucket.statistics().next_refill or math.inf


def make_result(
    algorithm: Algorithm,
    mode: Mode,
    tally: Tally,
    events: EventLog,
    period: tuple[datetime, datetime],
    began: float,
) -> RunResult:
    return RunResult(
        mode=mode,
        start=period[0],
        end=period[1],
        slices=tally.slices,
        slices_while_training=tally.slices_while_training,
        runs=tuple(event.record for event in events.events if event.record),
        notices=tuple(event.notice for event in events.events if event.notice),
        events=tuple(events.events),
        quota=None if tally.bucket is None else tally.bucket.statistics(),
        quota_levels=tuple(tally.levels),
        report=dict(algorithm.report()),
        wall_seconds=time.monotonic() - began,
    )
