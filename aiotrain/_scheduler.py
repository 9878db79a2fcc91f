"""The scheduler: fires actions at the instants that date and time rules give.

One :class:`Scheduler` serves both modes. A backtest engine walks time
itself and asks :meth:`Scheduler.due_before` for the occurrences before each
slice, then awaits each action inline. Live, :meth:`Scheduler.run_live`
sleeps on the clock until the next fire time and starts each action in its
own task. Occurrences that are missed, coalesced or skipped are reported to
``on_notice``, never dropped silently.
"""

from __future__ import annotations

import collections
import enum
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import final

import anyio
import attrs
from anyio.abc import TaskGroup

from ._clock import Clock, TimerHandle
from ._errors import ScheduleError
from ._rule_base import DateRule, TimeRule, as_utc, fire_times

__all__ = [
    "MissedRunPolicy",
    "NoticeKind",
    "Occurrence",
    "OverlapPolicy",
    "ScheduleNotice",
    "ScheduledEvent",
    "Scheduler",
]

_logger = logging.getLogger("aiotrain.schedule")

#: A fire time counts as come when it is before ``now() + _CLOCK_SLACK``:
#: that is, at or before ``now()`` give or take a microsecond of rounding.
_CLOCK_SLACK = timedelta(microseconds=2)


class MissedRunPolicy(enum.Enum):
    """What live mode does when several occurrences of one event are due at once.

    This happens when the clock jumped or the loop was held up past more
    than one fire time.
    """

    #: Run once, at the latest due time, and report the earlier ones.
    COALESCE = "coalesce"
    #: Run every due occurrence, one after another, oldest first (LEAN).
    ALL = "all"
    #: Run none that is later than the grace time; report them.
    SKIP = "skip"


class OverlapPolicy(enum.Enum):
    """What live mode does when an event fires while its last run still goes on."""

    #: Do not start the new run; report it.
    SKIP = "skip"
    #: Start the new run when the running one ends, in order.
    QUEUE = "queue"
    #: Start the new run at once, beside the running one.
    PARALLEL = "parallel"


class NoticeKind(enum.Enum):
    """Why occurrences did not run as scheduled."""

    #: Folded into a later run by :attr:`MissedRunPolicy.COALESCE`.
    COALESCED = "coalesced"
    #: Too late to run under :attr:`MissedRunPolicy.SKIP`.
    MISSED = "missed"
    #: Not run because the previous run was still going (:attr:`OverlapPolicy.SKIP`).
    SKIPPED = "skipped"


@final
@attrs.frozen
class ScheduleNotice:
    """A report that some occurrences of an event did not run on their own.

    Attributes:
        kind: Why they did not run.
        name: The event's name.
        count: How many occurrences this notice covers.
        first_time: The scheduled time of the first of them (aware UTC).
        last_time: The scheduled time of the last of them (aware UTC).
        noticed_at: The clock's time when the scheduler found out.
    """

    kind: NoticeKind
    name: str
    count: int
    first_time: datetime
    last_time: datetime
    noticed_at: datetime

    def __str__(self) -> str:
        span = self.first_time.isoformat()
        if self.count > 1:
            span = f"{span} to {self.last_time.isoformat()}"

        return f"scheduled event {self.name!r}: {self.count} occurrence(s) {self.kind.value} ({span})"


@final
@attrs.frozen
class Occurrence:
    """One firing of a scheduled event, as its action receives it.

    Attributes:
        name: The event's name, e.g. ``"Sunday: 8"``.
        time: The scheduled time of this firing (aware UTC).
        event: The event that fired.
        coalesced: How many earlier occurrences this run stands for
            (live mode, :attr:`MissedRunPolicy.COALESCE`); usually 0.
    """

    name: str
    time: datetime
    event: ScheduledEvent = attrs.field(repr=False)
    coalesced: int = 0


Action = Callable[[Occurrence], Awaitable[object]]


@final
@attrs.define(eq=False)
class ScheduledEvent:
    """An action with the rules that say when it fires; made by :meth:`Scheduler.add`.

    Set ``enabled`` to False to pass over its occurrences without running
    or reporting them (they are not made up later); set it back to resume.

    Attributes:
        name: The event's name, by default ``"{date rule}: {time rule}"``.
        date_rule: The days it fires on.
        time_rule: The instants of those days.
        action: ``async action(occurrence)``, awaited for each firing.
        missed_runs: Its policy for several due occurrences (live mode).
        overlap: Its policy for firing while the last run goes on (live mode).
        enabled: Whether occurrences run.
    """

    name: str
    date_rule: DateRule
    time_rule: TimeRule
    action: Action = attrs.field(repr=False)
    missed_runs: MissedRunPolicy
    overlap: OverlapPolicy
    _times: Iterator[datetime] = attrs.field(repr=False)
    enabled: bool = True
    _next_time: datetime | None = None
    _removed: bool = False
    _running: int = 0
    _queued: collections.deque[list[Occurrence]] = attrs.field(
        factory=collections.deque, repr=False
    )

    @property
    def next_time(self) -> datetime | None:
        """When it fires next (aware UTC), or ``None`` if never again."""
        return self._next_time

    @property
    def is_running(self) -> bool:
        """Whether a run started by live mode is still going."""
        return self._running > 0

    def _advance(self) -> datetime | None:
        self._next_time = next(self._times, None)
        return self._next_time


@final
class Scheduler:
    """Keeps scheduled events and fires them in time order.

    Ordering: occurrences fire in order of their scheduled time; several at
    the same time fire in the order their events were added. Each event's
    fire times strictly increase.

    Args:
        clock: The clock of the mode: simulated time in a backtest, real
            (or scaled) time live. New events start counting from its
            ``now()`` unless told otherwise.
        on_notice: Called (synchronously) with a :class:`ScheduleNotice`
            whenever occurrences are coalesced, missed or skipped. Without
            it, notices are logged as warnings on ``aiotrain.schedule``.
        missed_runs: The default policy for several due occurrences.
        overlap: The default policy for firing while the last run goes on.
        grace: How late an occurrence may start under
            :attr:`MissedRunPolicy.SKIP` before it counts as missed.

    Raises:
        ScheduleError: ``grace`` is negative.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        on_notice: Callable[[ScheduleNotice], None] | None = None,
        missed_runs: MissedRunPolicy = MissedRunPolicy.COALESCE,
        overlap: OverlapPolicy = OverlapPolicy.SKIP,
        grace: timedelta = timedelta(seconds=1),
    ) -> None:
        if grace < timedelta(0):
            raise ScheduleError(f"`grace` must be >= 0 (got {grace!r})")

        self.clock = clock
        self.missed_runs = missed_runs
        self.overlap = overlap
        self.grace = grace
        self._on_notice = on_notice or _log_notice
        self._events: list[ScheduledEvent] = []
        self._heap: list[tuple[datetime, int, ScheduledEvent]] = []
        self._order = itertools.count()
        self._wake: anyio.Event | None = None
        self._running_live = False

    @property
    def events(self) -> tuple[ScheduledEvent, ...]:
        """The events added and not removed, in the order they were added."""
        return tuple(self._events)

    def add(
        self,
        date_rule: DateRule,
        time_rule: TimeRule,
        action: Action,
        *,
        name: str | None = None,
        start: datetime | None = None,
        missed_runs: MissedRunPolicy | None = None,
        overlap: OverlapPolicy | None = None,
    ) -> ScheduledEvent:
        """Schedule ``action`` at the instants of the two rules.

        Computes the first fire time at once (a symbol rule loads its
        market calendar here); never blocks otherwise. A fire time equal to
        ``start`` counts. A live :meth:`run_live` notices the new event at once.

        Args:
            date_rule: The days to fire on.
            time_rule: The instants of those days.
            action: ``async action(occurrence)``.
            name: Default ``"{date rule name}: {time rule name}"``.
            start: Fire from this instant on; default ``clock.now()``.
            missed_runs: Default: the scheduler's policy.
            overlap: Default: the scheduler's policy.

        Raises:
            ScheduleError: ``start`` is naive, or the rules never meet.
        """
        begin = self.clock.now() if start is None else as_utc(start, "start")
        event = ScheduledEvent(
            name=f"{date_rule.name}: {time_rule.name}" if name is None else name,
            date_rule=date_rule,
            time_rule=time_rule,
            action=action,
            missed_runs=missed_runs or self.missed_runs,
            overlap=overlap or self.overlap,
            times=fire_times(date_rule, time_rule, begin),
        )
        self._events.append(event)
        self._push(event, event._advance(), next(self._order))
        self._wake_up()
        return event

    def remove(self, event: ScheduledEvent) -> None:
        """Remove ``event`` so it never fires again; a run already going goes on.

        Raises:
            ScheduleError: ``event`` is not one of this scheduler's events.
        """
        if event not in self._events:
            raise ScheduleError(f"event {event.name!r} is not scheduled here")

        self._events.remove(event)
        event._removed = True
        self._wake_up()

    def next_time(self) -> datetime | None:
        """The earliest fire time of any event, or ``None`` if there is none."""
        while self._heap and self._heap[0][2]._removed:
            heapq.heappop(self._heap)

        return self._heap[0][0] if self._heap else None

    def due_before(self, time: datetime) -> Iterator[Occurrence]:
        """Backtest: take the occurrences scheduled strictly before ``time``.

        Yields them in chronological order, ties in the order the events
        were added, each at its own scheduled time; disabled events are
        passed over. Lazy: an occurrence is taken from the schedule when
        the iterator reaches it, so an event added by an action fires in
        its place if it falls before ``time``. The caller sets its time to
        ``occurrence.time`` and awaits ``occurrence.event.action(occurrence)``.

        Raises:
            ScheduleError: ``time`` is naive.
        """
        limit = as_utc(time, "time")
        while (entry := self._pop_before(limit)) is not None:
            fire_time, order, event = entry
            self._push(event, event._advance(), order)
            if event.enabled:
                yield Occurrence(event.name, fire_time, event)

    async def run_live(self, task_group: TaskGroup) -> None:
        """Live: fire events on the clock until cancelled.

        Sleeps until the next fire time (no polling; an event added or
        removed meanwhile wakes it), then starts each due event's run in its
        own task in ``task_group``, events in time order. Applies each
        event's :class:`MissedRunPolicy` when the clock passed several of its
        occurrences, and its :class:`OverlapPolicy` when its last run is
        still going. An action's exception propagates through ``task_group``.
        Cancelling stops the scheduling; runs already started belong to
        ``task_group``.

        Raises:
            ScheduleError: It is already running.
        """
        if self._running_live:
            raise ScheduleError("run_live() is already running for this scheduler")

        self._running_live = True
        try:
            while True:
                await self._sleep_until_due()
                self._fire_due(task_group)
        finally:
            self._running_live = False

    # Heap bookkeeping

    def _push(
        self, event: ScheduledEvent, fire_time: datetime | None, order: int
    ) -> None:
        if fire_time is not None and not event._removed:
            heapq.heappush(self._heap, (fire_time, order, event))

    def _pop_before(
        self, limit: datetime
    ) -> tuple[datetime, int, ScheduledEvent] | None:
        next_time = self.next_time()
        if next_time is None or next_time >= limit:
            return None

        return heapq.heappop(self._heap)

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # Live mode

    async def _sleep_until_due(self) -> None:
        while True:
            next_time = self.next_time()
            now = self.clock.now()
            if next_time is not None and next_time < now + _CLOCK_SLACK:
                return

            await self._sleep_until(next_time, now)

    async def _sleep_until(self, next_time: datetime | None, now: datetime) -> None:
        self._wake = anyio.Event()
        timer: TimerHandle | None = None
        if next_time is not None:
            seconds = (next_time - now).total_seconds()
            timer = self.clock.call_at(self.clock.monotonic() + seconds, self._wake.set)

        try:
            await self._wake.wait()
        finally:
            self._wake = None
            if timer is not None:
                timer.cancel()

    def _fire_due(self, task_group: TaskGroup) -> None:
        now = self.clock.now()
        limit = now + _CLOCK_SLACK
        while (entry := self._pop_before(limit)) is not None:
            fire_time, order, event = entry
            due = self._take_due(event, fire_time, limit)
            self._push(event, event._next_time, order)
            if event.enabled:
                runs = self._apply_missed_policy(event, due, now)
                self._start_runs(event, runs, now, task_group)

    def _take_due(
        self, event: ScheduledEvent, first: datetime, limit: datetime
    ) -> list[datetime]:
        due = [first]
        while (fire_time := event._advance()) is not None and fire_time < limit:
            due.append(fire_time)

        return due

    def _apply_missed_policy(
        self, event: ScheduledEvent, due: list[datetime], now: datetime
    ) -> list[Occurrence]:
        if event.missed_runs is MissedRunPolicy.ALL:
            return [Occurrence(event.name, fire_time, event) for fire_time in due]

        if event.missed_runs is MissedRunPolicy.COALESCE:
            self._notify(NoticeKind.COALESCED, event, due[:-1], now)
            return [Occurrence(event.name, due[-1], event, coalesced=len(due) - 1)]

        late = [fire_time for fire_time in due if now - fire_time > self.grace]
        self._notify(NoticeKind.MISSED, event, late, now)
        return [
            Occurrence(event.name, fire_time, event)
            for fire_time in due
            if now - fire_time <= self.grace
        ]

    def _start_runs(
        self,
        event: ScheduledEvent,
        runs: list[Occurrence],
        now: datetime,
        task_group: TaskGroup,
    ) -> None:
        if not runs:
            return

        if not event.is_running or event.overlap is OverlapPolicy.PARALLEL:
            task_group.start_soon(
                self._run, event, runs, name=f"scheduled {event.name}"
            )
        elif event.overlap is OverlapPolicy.QUEUE:
            event._queued.append(runs)
        else:
            times = [occurrence.time for occurrence in runs]
            self._notify(NoticeKind.SKIPPED, event, times, now)

    async def _run(self, event: ScheduledEvent, runs: list[Occurrence]) -> None:
        event._running += 1
        try:
            for occurrence in runs:
                await event.action(occurrence)

            while event._queued and event.overlap is OverlapPolicy.QUEUE:
                for occurrence in event._queued.popleft():
                    await event.action(occurrence)
        finally:
            event._running -= 1
            self._report_unrun(event)

    def _report_unrun(self, event: ScheduledEvent) -> None:
        """Report queued occurrences that will not run now (the run was stopped)."""
        times = [occurrence.time for runs in event._queued for occurrence in runs]
        event._queued.clear()
        self._notify(NoticeKind.SKIPPED, event, times, self.clock.now())

    def _notify(
        self,
        kind: NoticeKind,
        event: ScheduledEvent,
        times: list[datetime],
        now: datetime,
    ) -> None:
        if times:
            self._on_notice(
                ScheduleNotice(kind, event.name, len(times), times[0], times[-1], now)
            )


def _log_notice(notice: ScheduleNotice) -> None:
    _logger.warning("%s", notice)
