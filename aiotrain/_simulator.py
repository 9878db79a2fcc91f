"""A quota simulator: play a training schedule against the bucket in virtual time.

:func:`simulate_quota` answers "will my schedule run dry?" before going
live. It fires the schedule's occurrences with the engine's own rules
(:func:`~aiotrain._rule_base.fire_times`), charges each run with the engine's
own meter (one token at each whole minute, the first minute free, the run
stopped at the minute a token is refused) against a real
:class:`LeakyBucket`, and moves a :class:`ManualClock` instead of waiting.
Nothing awaits, so it needs no event loop and runs a year of daily
training in milliseconds.

There is one time axis, as in live trading: the bucket refills while a run
goes on, and an occurrence that falls while the previous run still goes on
is skipped (live mode's default overlap policy).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import final

import attrs

from ._clock import ManualClock
from ._config import QuotaConfig
from ._errors import ConfigError
from ._meter import MINUTE, Meter
from ._quota import LeakyBucket
from ._rule_base import DateRule, TimeRule, as_utc, fire_times
from ._runs import TrainingRun

__all__ = [
    "QuotaSimulation",
    "SimulatedRun",
    "TrainingMinutes",
    "minutes_drawer",
    "simulate_quota",
]

#: Minutes a training run takes: a fixed number, or a function that draws
#: one from the seeded random generator it is given.
TrainingMinutes = float | Callable[[random.Random], float]


@final
@attrs.frozen
class SimulatedRun:
    """One simulated training run.

    Attributes:
        scheduled_time: When the run was due, in the date rule's time zone.
        minutes: How long it ran: its planned length, or less if the quota
            stopped it.
        planned_minutes: How long it would have run with quota to spare.
        tokens_drawn: Quota minutes it drew.
        exhausted: Whether the quota stopped it.
        level_before: Tokens in the bucket when it started.
        level_after: Tokens in the bucket when it ended.
    """

    scheduled_time: datetime
    minutes: float
    planned_minutes: float
    tokens_drawn: int
    exhausted: bool
    level_before: float
    level_after: float

    @property
    def ended_at(self) -> datetime:
        """When the run ended, in the date rule's time zone."""
        return self.scheduled_time + timedelta(minutes=self.minutes)


@final
@attrs.frozen
class QuotaSimulation:
    """What :func:`simulate_quota` found.

    Attributes:
        config: The quota settings simulated.
        start: The start of the period (the bucket is full then).
        end: The end of the period; occurrences at or after it do not run.
        runs: Every run, in time order.
        skipped: Occurrences that fell while the previous run still went
            on, and so did not run.
        lowest_level: The fewest tokens the bucket held at any instant.
        lowest_level_at: The first instant it held that few.
        final_level: Tokens in the bucket at the end of the period (or
            when the last run ended, if that is later).
        levels: ``(time, tokens)`` when the period starts, when each run
            starts and ends, and at each refill until the bucket is full
            again: the level between two points is the earlier one's.
    """

    config: QuotaConfig
    start: datetime
    end: datetime
    runs: tuple[SimulatedRun, ...]
    skipped: tuple[datetime, ...]
    lowest_level: float
    lowest_level_at: datetime
    final_level: float
    levels: tuple[tuple[datetime, float], ...]

    @property
    def runs_started(self) -> int:
        """How many runs started."""
        return len(self.runs)

    @property
    def exhausted_runs(self) -> tuple[SimulatedRun, ...]:
        """The runs the quota stopped."""
        return tuple(run for run in self.runs if run.exhausted)

    @property
    def runs_exhausted(self) -> int:
        """How many runs the quota stopped."""
        return len(self.exhausted_runs)

    @property
    def first_exhaustion(self) -> SimulatedRun | None:
        """The first run the quota stopped, or ``None`` if none was."""
        return next(iter(self.exhausted_runs), None)

    @property
    def tokens_drawn(self) -> int:
        """Quota minutes drawn by all runs."""
        return sum(run.tokens_drawn for run in self.runs)


@attrs.define(eq=False)
class _LowestLevel:
    """The lowest bucket level seen so far, and when it was first seen."""

    level: float
    at: datetime

    def note(self, level: float, at: Callable[[], datetime]) -> None:
        """Keep ``level`` if it is lower; ``at`` tells when, asked only then."""
        if level < self.level:
            self.level, self.at = level, at()


@attrs.define(eq=False)
class _Simulator:
    """The state of one simulation: clock, bucket, draws and findings."""

    start: datetime
    clock: ManualClock
    bucket: LeakyBucket | None
    date_rule: DateRule
    draw_minutes: Callable[[], float]
    lowest: _LowestLevel
    runs: list[SimulatedRun] = attrs.field(factory=list)
    skipped: list[datetime] = attrs.field(factory=list)
    levels: list[tuple[datetime, float]] = attrs.field(factory=list)

    def level(self) -> float:
        return math.inf if self.bucket is None else self.bucket.available

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.date_rule.time_zone)

    def occur(self, when: datetime) -> None:
        """Run the occurrence at ``when``, or skip it if a run still goes on."""
        offset = (when - self.start).total_seconds()
        if offset < self.clock.monotonic():
            self.skipped.append(self.local(when))
            return

        self.note_refills_until(offset)
        self.clock.set(when)
        self.runs.append(self.train(self.draw_minutes()))

    def train(self, planned_minutes: float) -> SimulatedRun:
        """One run of ``planned_minutes``, metered exactly as the engine does."""
        started_at = self.clock.now()
        level_before = self.level()
        self.levels.append((self.local(started_at), level_before))

        run = TrainingRun("simulated", started_at)
        run.started = self.clock.monotonic()
        refused = self.meter(run, planned_minutes * MINUTE)

        minutes = (self.clock.monotonic() - run.started) / MINUTE
        level_after = self.level()
        self.levels.append((self.local(self.clock.now()), level_after))
        return SimulatedRun(
            scheduled_time=self.local(started_at),
            minutes=minutes,
            planned_minutes=planned_minutes,
            tokens_drawn=run.tokens_drawn,
            exhausted=refused,
            level_before=level_before,
            level_after=level_after,
        )

    def meter(self, run: TrainingRun, seconds: float) -> bool:
        """Move the clock through the run; return whether a token was refused.

        The engine's meter sets a clock timer for each whole minute; the
        clock is moved one timer at a time, so a refusal leaves it at the
        refused minute, where the engine would stop the run.
        """
        if self.bucket is None:
            self.clock.advance(seconds)
            return False

        refused: list[bool] = []
        meter = Meter(
            self.bucket, self.clock, run, self.note_draw, lambda: refused.append(True)
        )
        meter.start()

        assert run.started is not None
        end = run.started + seconds
        self.advance_through_timers(end, stop=lambda: bool(refused))
        meter.stop()
        return bool(refused)

    def advance_through_timers(self, end: float, stop: Callable[[], bool]) -> None:
        while not stop() and (deadline := self.clock.next_deadline()) is not None:
            if deadline > end:
                break
            self.clock.advance(deadline - self.clock.monotonic())

        if not stop():
            self.clock.advance(max(0.0, end - self.clock.monotonic()))

    def note_refills_until(self, target: float) -> None:
        """Step through the refills up to ``target`` while the bucket is not full, noting each level."""
        if self.bucket is None:
            return

        while self.bucket.available < self.bucket.capacity:
            refill = self.bucket.statistics().next_refill
            if refill is None or refill > target:
                return
            self.clock.advance(max(0.0, refill - self.clock.monotonic()))
            self.levels.append((self.local(self.clock.now()), self.level()))

    def note_draw(self) -> None:
        self.lowest.note(self.level(), lambda: self.local(self.clock.now()))

    def result(self, config: QuotaConfig, end: datetime) -> QuotaSimulation:
        """Move the clock to ``end`` (unless a run went past it) and report."""
        offset = (end - self.start).total_seconds()
        if offset > self.clock.monotonic():
            self.note_refills_until(offset)
            self.clock.set(end)

        return QuotaSimulation(
            config=config,
            start=self.local(self.start),
            end=self.local(end),
            runs=tuple(self.runs),
            skipped=tuple(self.skipped),
            lowest_level=self.lowest.level,
            lowest_level_at=self.lowest.at,
            final_level=self.level(),
            levels=tuple(self.levels),
        )


def simulate_quota(
    config: QuotaConfig,
    date_rule: DateRule,
    time_rule: TimeRule,
    *,
    training_minutes: TrainingMinutes,
    start: datetime,
    days: float = 365,
    seed: int = 0,
) -> QuotaSimulation:
    """Simulate a training schedule against a quota, in virtual time.

    The bucket starts full at ``start`` and refills on the simulated time,
    as it would in live trading. Each occurrence of the two rules in
    ``[start, start + days)`` starts a run; the run draws one token at each
    whole minute of its length (none for the first minute) and is stopped
    at the minute the bucket refuses one, as in the engine. An occurrence
    that falls while the previous run still goes on is skipped. Runs once,
    synchronously; needs no event loop and never sleeps.

    Args:
        config: The quota settings, e.g. from
            :meth:`QuotaConfig.from_lean_config`.
        date_rule: The days the training runs on.
        time_rule: The instants of those days.
        training_minutes: How long each run takes, in minutes: a number, or
            a function given a seeded :class:`random.Random` that returns
            one (``lambda rng: rng.uniform(30, 60)``).
        start: The first instant of the period; must be time-zone aware.
        days: The length of the period in days.
        seed: The seed of the generator ``training_minutes`` is given.

    Returns:
        The runs, the skipped occurrences and the lowest bucket level.

    Raises:
        ConfigError: The capacity is below one minute, so no run could
            ever be charged.
        ValueError: ``days`` is negative, or a training length is negative
            or not a finite number.
        ScheduleError: ``start`` is naive, or the rules never meet.

    Example:
        >>> from datetime import UTC, datetime
        >>> from aiotrain import QuotaConfig, SUNDAY, date_rules, time_rules
        >>> report = simulate_quota(
        ...     QuotaConfig(),
        ...     date_rules.every(SUNDAY),
        ...     time_rules.at(8, 0),
        ...     training_minutes=45,
        ...     start=datetime(2025, 1, 1, tzinfo=UTC),
        ... )
        >>> report.runs_started, report.runs_exhausted, report.lowest_level
        (52, 0, 75)
    """
    _check_config(config)
    _check_days(days)
    begin = as_utc(start, "start")
    end = begin + timedelta(days=days)

    simulator = _new_simulator(config, date_rule, training_minutes, begin, seed)
    for when in _occurrences(date_rule, time_rule, begin, end):
        simulator.occur(when)

    return simulator.result(config, end)


def _new_simulator(
    config: QuotaConfig,
    date_rule: DateRule,
    training_minutes: TrainingMinutes,
    start: datetime,
    seed: int,
) -> _Simulator:
    clock = ManualClock(start)
    bucket = None if config.is_unlimited else config.make_bucket(clock)
    local_start = start.astimezone(date_rule.time_zone)
    simulator = _Simulator(
        start=start,
        clock=clock,
        bucket=bucket,
        date_rule=date_rule,
        draw_minutes=minutes_drawer(training_minutes, seed),
        lowest=_LowestLevel(config.capacity, local_start),
    )
    simulator.levels.append((local_start, config.capacity))
    return simulator


def _occurrences(
    date_rule: DateRule, time_rule: TimeRule, start: datetime, end: datetime
) -> Iterator[datetime]:
    for when in fire_times(date_rule, time_rule, start):
        if when >= end:
            return
        yield when


def minutes_drawer(training_minutes: TrainingMinutes, seed: int) -> Callable[[], float]:
    """A function returning each run's length, checked, in minutes."""
    generator = random.Random(seed)

    def draw() -> float:
        minutes = (
            training_minutes(generator)
            if callable(training_minutes)
            else training_minutes
        )
        return _check_minutes(minutes)

    return draw


def _check_minutes(minutes: object) -> float:
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int | float)
        or not math.isfinite(minutes)
        or minutes < 0
    ):
        raise ValueError(
            f"a training length must be a finite, non-negative number of minutes (got {minutes!r})"
        )

    return float(minutes)


def _check_days(days: object) -> None:
    if (
        isinstance(days, bool)
        or not isinstance(days, int | float)
        or not math.isfinite(days)
        or days < 0
    ):
        raise ValueError(f"`days` must be a finite, non-negative number (got {days!r})")


def _check_config(config: QuotaConfig) -> None:
    if config.capacity < 1:
        raise ConfigError(
            f"`capacity` must be at least 1 minute to charge a training run (got {config.capacity!r})"
        )
