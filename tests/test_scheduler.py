"""Tests for the scheduler, in backtest and live mode, on manual clocks only."""

from __future__ import annotations

import logging
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio
import pytest

from aiotrain import (
    SUNDAY,
    ManualClock,
    MissedRunPolicy,
    NoticeKind,
    Occurrence,
    OverlapPolicy,
    ScheduleError,
    ScheduleNotice,
    Scheduler,
    date_rules,
    time_rules,
    wait_all_tasks_blocked,
)

NEW_YORK = ZoneInfo("America/New_York")
LEAN_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lean"
START = datetime(2000, 1, 3, 14, tzinfo=UTC)
EVERY_MINUTE = time_rules.every(timedelta(minutes=1))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


def minutes_after_start(*minutes: float) -> list[datetime]:
    return [START + timedelta(minutes=value) for value in minutes]


class Recorder:
    """An action that records each occurrence and the clock's time at its start."""

    def __init__(self, clock: ManualClock, seconds: float = 0.0) -> None:
        self.clock = clock
        self.seconds = seconds
        self.occurrences: list[Occurrence] = []
        self.started_at: list[datetime] = []

    async def __call__(self, occurrence: Occurrence) -> None:
        self.occurrences.append(occurrence)
        self.started_at.append(self.clock.now())
        if self.seconds:
            await self.clock.sleep_until(self.clock.monotonic() + self.seconds)

    @property
    def times(self) -> list[datetime]:
        return [occurrence.time for occurrence in self.occurrences]


async def noop(occurrence: Occurrence) -> None:
    """An action that does nothing."""


def backtest_scheduler(start: datetime = START) -> tuple[ManualClock, Scheduler]:
    clock = ManualClock(start)
    return clock, Scheduler(clock)


# Names and adding


def test_default_event_name_is_date_rule_then_time_rule() -> None:
    """every(SUNDAY) at(8, 0) is named "Sunday: 8"; at(9, 30) names "9.5"."""
    _, scheduler = backtest_scheduler()

    sunday = scheduler.add(date_rules.every(SUNDAY), time_rules.at(8, 0), noop)
    open_time = scheduler.add(date_rules.every_day("SPY"), time_rules.at(9, 30), noop)
    named = scheduler.add(date_rules.every_day(), time_rules.noon, noop, name="Fit")

    assert sunday.name == "Sunday: 8"
    assert open_time.name == "SPY: EveryDay: 9.5"
    assert named.name == "Fit"
    assert scheduler.events == (sunday, open_time, named)


def test_first_fire_time_is_known_when_added() -> None:
    """add() computes the first fire time from the clock's time."""
    _, scheduler = backtest_scheduler()

    event = scheduler.add(date_rules.every(SUNDAY), time_rules.at(8, 0), noop)

    assert event.next_time == ny(2000, 1, 9, 8)
    assert scheduler.next_time() == ny(2000, 1, 9, 8)


def test_naive_start_or_time_is_a_clear_error() -> None:
    """Times given to the scheduler must be aware."""
    _, scheduler = backtest_scheduler()

    with pytest.raises(ScheduleError, match="`start` must be time-zone aware"):
        scheduler.add(
            date_rules.every_day(), time_rules.noon, noop, start=datetime(2000, 1, 1)
        )
    with pytest.raises(ScheduleError, match="`time` must be time-zone aware"):
        list(scheduler.due_before(datetime(2000, 1, 1)))


def test_negative_grace_is_a_clear_error() -> None:
    """grace must not be negative."""
    with pytest.raises(ScheduleError, match=r"`grace` must be >= 0"):
        Scheduler(ManualClock(), grace=timedelta(seconds=-1))


# Backtest ordering


def test_two_events_stepped_in_one_jump_fire_in_chronological_order() -> None:
    """Events at {d, d+10m} and {d+1m, d+2m} due in one jump interleave by time."""
    _, scheduler = backtest_scheduler()
    day = date_rules.on(date(2000, 1, 3))
    first = scheduler.add(
        day, time_rules.union(time_rules.at(9), time_rules.at(9, 10)), noop
    )
    second = scheduler.add(
        day, time_rules.union(time_rules.at(9, 1), time_rules.at(9, 2)), noop
    )

    fired = [
        (occurrence.event, occurrence.time)
        for occurrence in scheduler.due_before(ny(2000, 1, 3, 10))
    ]

    assert fired == [
        (first, ny(2000, 1, 3, 9)),
        (second, ny(2000, 1, 3, 9, 1)),
        (second, ny(2000, 1, 3, 9, 2)),
        (first, ny(2000, 1, 3, 9, 10)),
    ]


def test_hundred_events_at_one_time_fire_in_the_order_added() -> None:
    """100 events at the same instant fire in insertion order."""
    _, scheduler = backtest_scheduler()
    events = [
        scheduler.add(date_rules.every_day(), time_rules.at(12), noop, name=f"e{index}")
        for index in range(100)
    ]

    fired = list(scheduler.due_before(ny(2000, 1, 3, 13)))

    assert [occurrence.event for occurrence in fired] == events
    assert {occurrence.time for occurrence in fired} == {ny(2000, 1, 3, 12)}


def test_due_before_is_strict_and_an_occurrence_at_the_start_fires() -> None:
    """An occurrence at the start fires, but only before a slice strictly after it."""
    _, scheduler = backtest_scheduler(ny(2000, 1, 3, 12))
    scheduler.add(date_rules.every_day(), time_rules.at(12), noop)

    at_start = list(scheduler.due_before(ny(2000, 1, 3, 12)))
    after_start = list(scheduler.due_before(ny(2000, 1, 3, 12, 1)))

    assert at_start == []
    assert [occurrence.time for occurrence in after_start] == [ny(2000, 1, 3, 12)]


def test_due_before_is_lazy_and_resumable() -> None:
    """Stopping half-way leaves the rest for the next call, in order."""
    _, scheduler = backtest_scheduler()
    scheduler.add(date_rules.every_day(), time_rules.at(12), noop)
    until = ny(2000, 1, 10)

    first_two = [
        occurrence.time
        for _, occurrence in zip(range(2), scheduler.due_before(until), strict=False)
    ]
    rest = [occurrence.time for occurrence in scheduler.due_before(until)]

    assert first_two == [ny(2000, 1, 3, 12), ny(2000, 1, 4, 12)]
    assert rest == [ny(2000, 1, day, 12) for day in range(5, 10)]


def test_event_added_by_an_action_fires_in_its_place() -> None:
    """An event added during due_before fires in time order in the same walk."""
    clock, scheduler = backtest_scheduler()
    scheduler.add(
        date_rules.on(date(2000, 1, 3)), time_rules.at(10), noop, name="first"
    )
    scheduler.add(date_rules.on(date(2000, 1, 3)), time_rules.at(12), noop, name="last")
    fired: list[str] = []

    for occurrence in scheduler.due_before(ny(2000, 1, 4)):
        fired.append(occurrence.name)
        if occurrence.name == "first":
            clock.set(occurrence.time)
            scheduler.add(date_rules.today, time_rules.at(11), noop, name="added")

    assert fired == ["first", "added", "last"]


def test_disabled_events_are_passed_over_and_resume() -> None:
    """A disabled event's occurrences do not fire; enabled again, it resumes."""
    _, scheduler = backtest_scheduler()
    event = scheduler.add(date_rules.every_day(), time_rules.at(12), noop)

    event.enabled = False
    while_disabled = list(scheduler.due_before(ny(2000, 1, 5)))
    event.enabled = True
    after = [occurrence.time for occurrence in scheduler.due_before(ny(2000, 1, 6))]

    assert while_disabled == []
    assert after == [ny(2000, 1, 5, 12)]


def test_removed_events_never_fire_again() -> None:
    """remove() drops the event; removing it twice is an error."""
    _, scheduler = backtest_scheduler()
    kept = scheduler.add(date_rules.every_day(), time_rules.at(12), noop)
    removed = scheduler.add(date_rules.every_day(), time_rules.at(11), noop)

    scheduler.remove(removed)
    fired = [occurrence.event for occurrence in scheduler.due_before(ny(2000, 1, 4))]

    assert fired == [kept]
    assert scheduler.events == (kept,)
    with pytest.raises(ScheduleError, match="is not scheduled here"):
        scheduler.remove(removed)


def test_finished_rule_leaves_no_next_time() -> None:
    """An on() rule whose dates have passed has no next time."""
    _, scheduler = backtest_scheduler()
    event = scheduler.add(date_rules.on(date(2000, 1, 3)), time_rules.at(12), noop)

    list(scheduler.due_before(ny(2000, 1, 4)))

    assert event.next_time is None
    assert scheduler.next_time() is None


async def run_backtest(
    scheduler: Scheduler, clock: ManualClock, slice_times: list[datetime]
) -> list[tuple[str, datetime]]:
    """A minimal engine: fire events due before each slice, then 'on_data'."""
    log: list[tuple[str, datetime]] = []
    for slice_time in slice_times:
        for occurrence in scheduler.due_before(slice_time):
            clock.set(occurrence.time)
            await occurrence.event.action(occurrence)
            log.append(("event", clock.now()))

        clock.set(slice_time)
        log.append(("bar", clock.now()))

    return log


def regular_session_bar_ends(day: date) -> list[datetime]:
    """End times of the 390 regular-session minute bars of a full NYSE day."""
    first = datetime(day.year, day.month, day.day, 9, 31, tzinfo=NEW_YORK)
    return [(first + timedelta(minutes=index)).astimezone(UTC) for index in range(390)]


def expected_overnight_log(bar_times: list[datetime]) -> list[tuple[str, datetime]]:
    """Every-120-minute events merged with bars: each event fires before the first bar
    strictly after it, so an event at a bar's own time comes after that bar."""
    event_times = [ny(2013, 10, 7) + timedelta(hours=2 * step) for step in range(24)]
    entries = [("event", time) for time in event_times if time < bar_times[-1]]
    entries += [("bar", time) for time in bar_times]
    return sorted(entries, key=lambda entry: (entry[1], entry[0] == "event"))


@pytest.mark.asyncio
async def test_s7_overnight_events_fire_in_order_before_the_morning_bar() -> None:
    """S7: every(120 min) on minute bars of 2013-10-07/08; overnight events fire before 09:31, each at its own time."""
    clock, scheduler = backtest_scheduler(ny(2013, 10, 7))
    recorder = Recorder(clock)
    scheduler.add(
        date_rules.every_day(), time_rules.every(timedelta(minutes=120)), recorder
    )
    bar_times = regular_session_bar_ends(date(2013, 10, 7)) + regular_session_bar_ends(
        date(2013, 10, 8)
    )

    log = await run_backtest(scheduler, clock, bar_times)

    assert log == expected_overnight_log(bar_times)
    assert recorder.started_at == recorder.times
    overnight = [
        time
        for time in recorder.times
        if ny(2013, 10, 7, 16) <= time < ny(2013, 10, 8, 9, 31)
    ]
    assert overnight == [
        ny(2013, 10, 7, 16) + timedelta(hours=2 * step) for step in range(9)
    ]


def lean_minute_bar_ends(day: date) -> list[datetime]:
    """Bar end times of LEAN's SPY minute file for ``day``, pre- and post-market included."""
    path = LEAN_DATA / "equity" / "usa" / "minute" / "spy" / f"{day:%Y%m%d}_trade.zip"
    with zipfile.ZipFile(path) as archive:
        rows = archive.read(archive.namelist()[0]).decode().splitlines()

    midnight = datetime(day.year, day.month, day.day, tzinfo=NEW_YORK)
    return [
        (midnight + timedelta(milliseconds=int(row.split(",")[0]) + 60_000)).astimezone(
            UTC
        )
        for row in rows
        if row
    ]


@pytest.mark.asyncio
async def test_s7_on_lean_spy_minute_data() -> None:
    """S7 on LEAN's SPY minute files: every event fires before the first bar after it, at its own time."""
    if not LEAN_DATA.is_dir():
        pytest.skip(f"LEAN sample data not found at {LEAN_DATA}")

    clock, scheduler = backtest_scheduler(ny(2013, 10, 7))
    recorder = Recorder(clock)
    scheduler.add(
        date_rules.every_day(), time_rules.every(timedelta(minutes=120)), recorder
    )
    bar_times = lean_minute_bar_ends(date(2013, 10, 7)) + lean_minute_bar_ends(
        date(2013, 10, 8)
    )

    log = await run_backtest(scheduler, clock, bar_times)

    assert log == expected_overnight_log(bar_times)
    assert recorder.started_at == recorder.times


# Live mode


def live_scheduler(
    **options: object,
) -> tuple[ManualClock, Scheduler, list[ScheduleNotice]]:
    clock = ManualClock(START)
    notices: list[ScheduleNotice] = []
    scheduler = Scheduler(clock, on_notice=notices.append, **options)  # type: ignore[arg-type]
    return clock, scheduler, notices


async def run_live_for(
    scheduler: Scheduler, clock: ManualClock, seconds: float
) -> None:
    """Run the scheduler live while virtual time jumps ahead to ``seconds``."""
    async with anyio.create_task_group() as group:
        group.start_soon(scheduler.run_live, group)
        async with clock.autojump():
            await clock.sleep_until(seconds)

        group.cancel_scope.cancel()


async def jump_live(scheduler: Scheduler, clock: ManualClock, seconds: float) -> None:
    """Start the scheduler live, then move the clock by ``seconds`` in one jump."""
    async with anyio.create_task_group() as group:
        group.start_soon(scheduler.run_live, group)
        await wait_all_tasks_blocked()
        clock.advance(seconds)
        await wait_all_tasks_blocked()
        group.cancel_scope.cancel()


@pytest.mark.asyncio
async def test_live_fires_each_event_on_time() -> None:
    """Each firing starts at its scheduled time and carries name and time."""
    clock, scheduler, notices = live_scheduler()
    recorder = Recorder(clock)
    scheduler.add(date_rules.every_day(), EVERY_MINUTE, recorder)

    await run_live_for(scheduler, clock, 3 * 60 + 30)

    assert recorder.times == minutes_after_start(0, 1, 2, 3)
    assert recorder.started_at == recorder.times
    assert {occurrence.name for occurrence in recorder.occurrences} == {
        "EveryDay: Every 1 min"
    }
    assert notices == []


@pytest.mark.asyncio
async def test_live_sleeps_until_the_next_fire_time_without_polling() -> None:
    """While waiting, the only timer set is one at the next fire time."""
    clock, scheduler, _ = live_scheduler()
    scheduler.add(date_rules.every_day(), time_rules.at(12), noop)

    async with anyio.create_task_group() as group:
        group.start_soon(scheduler.run_live, group)
        await wait_all_tasks_blocked()
        deadline = clock.next_deadline()
        group.cancel_scope.cancel()

    assert deadline == (ny(2000, 1, 3, 12) - START).total_seconds()


@pytest.mark.asyncio
async def test_s4_clock_jump_coalesces_by_default_and_reports() -> None:
    """S4: a 4-minute jump past a per-minute event runs once and reports the 3 others."""
    clock, scheduler, notices = live_scheduler()
    recorder = Recorder(clock)
    scheduler.add(
        date_rules.every_day(),
        EVERY_MINUTE,
        recorder,
        start=START + timedelta(seconds=1),
    )

    await jump_live(scheduler, clock, 4 * 60 + 1)

    assert recorder.times == minutes_after_start(4)
    assert recorder.occurrences[0].coalesced == 3
    assert notices == [
        ScheduleNotice(
            NoticeKind.COALESCED,
            "EveryDay: Every 1 min",
            3,
            START + timedelta(minutes=1),
            START + timedelta(minutes=3),
            START + timedelta(minutes=4, seconds=1),
        )
    ]


@pytest.mark.asyncio
async def test_s4_clock_jump_with_policy_all_runs_four_times_in_order() -> None:
    """S4: with MissedRunPolicy.ALL the jump gives four runs, oldest first."""
    clock, scheduler, notices = live_scheduler(missed_runs=MissedRunPolicy.ALL)
    recorder = Recorder(clock)
    scheduler.add(
        date_rules.every_day(),
        EVERY_MINUTE,
        recorder,
        start=START + timedelta(seconds=1),
    )

    await jump_live(scheduler, clock, 4 * 60 + 1)

    assert recorder.times == minutes_after_start(1, 2, 3, 4)
    assert notices == []


@pytest.mark.asyncio
async def test_skip_policy_runs_only_what_is_within_grace() -> None:
    """MissedRunPolicy.SKIP: occurrences later than the grace time are reported, not run."""
    clock, scheduler, notices = live_scheduler(missed_runs=MissedRunPolicy.SKIP)
    recorder = Recorder(clock)
    scheduler.add(
        date_rules.every_day(),
        EVERY_MINUTE,
        recorder,
        start=START + timedelta(seconds=1),
    )

    await jump_live(scheduler, clock, 4 * 60 + 1)

    assert recorder.times == [START + timedelta(minutes=4)]
    assert [(notice.kind, notice.count) for notice in notices] == [
        (NoticeKind.MISSED, 3)
    ]


@pytest.mark.asyncio
async def test_skip_policy_skips_everything_when_all_are_late() -> None:
    """MissedRunPolicy.SKIP after a 4.5-minute jump: all four are missed, none runs."""
    clock, scheduler, notices = live_scheduler(missed_runs=MissedRunPolicy.SKIP)
    recorder = Recorder(clock)
    scheduler.add(
        date_rules.every_day(),
        EVERY_MINUTE,
        recorder,
        start=START + timedelta(seconds=1),
    )

    await jump_live(scheduler, clock, 4 * 60 + 30)

    assert recorder.times == []
    assert [
        (notice.kind, notice.count, notice.first_time, notice.last_time)
        for notice in notices
    ] == [
        (
            NoticeKind.MISSED,
            4,
            START + timedelta(minutes=1),
            START + timedelta(minutes=4),
        )
    ]


@pytest.mark.asyncio
async def test_s5_overlapping_training_is_skipped_and_reported() -> None:
    """S5: a 61-second run every minute never overlaps; each skip is reported."""
    clock, scheduler, notices = live_scheduler()
    recorder = Recorder(clock, seconds=61)
    scheduler.add(date_rules.every_day(), EVERY_MINUTE, recorder)

    await run_live_for(scheduler, clock, 5 * 60 + 30)

    assert recorder.times == minutes_after_start(0, 2, 4)
    assert [(notice.kind, notice.first_time) for notice in notices] == [
        (NoticeKind.SKIPPED, START + timedelta(minutes=1)),
        (NoticeKind.SKIPPED, START + timedelta(minutes=3)),
        (NoticeKind.SKIPPED, START + timedelta(minutes=5)),
    ]


@pytest.mark.asyncio
async def test_s6_hourly_training_of_thirty_minutes_runs_once_an_hour() -> None:
    """S6: an hourly 30-minute training runs exactly once per hour."""
    clock, scheduler, notices = live_scheduler()
    recorder = Recorder(clock, seconds=30 * 60)
    scheduler.add(
        date_rules.every_day(), time_rules.every(timedelta(hours=1)), recorder
    )

    await run_live_for(scheduler, clock, 5 * 3600 + 60)

    assert recorder.times == [START + timedelta(hours=hour) for hour in range(6)]
    assert recorder.started_at == recorder.times
    assert notices == []


@pytest.mark.asyncio
async def test_queue_policy_runs_overlapping_firings_one_after_another() -> None:
    """QUEUE: 90-second runs every minute start one after another; queued ones left at the stop are reported."""
    clock, scheduler, notices = live_scheduler(overlap=OverlapPolicy.QUEUE)
    recorder = Recorder(clock, seconds=90)
    scheduler.add(date_rules.every_day(), EVERY_MINUTE, recorder)

    await run_live_for(scheduler, clock, 4 * 60 + 20)

    assert recorder.times == minutes_after_start(0, 1, 2)
    assert recorder.started_at == minutes_after_start(0, 1.5, 3)
    assert [(n.kind, n.count, n.first_time, n.last_time) for n in notices] == [
        (NoticeKind.SKIPPED, 2, *minutes_after_start(3, 4))
    ]


@pytest.mark.asyncio
async def test_parallel_policy_starts_every_firing_at_once() -> None:
    """OverlapPolicy.PARALLEL: runs overlap and each starts on time."""
    clock, scheduler, notices = live_scheduler(overlap=OverlapPolicy.PARALLEL)
    recorder = Recorder(clock, seconds=150)
    scheduler.add(date_rules.every_day(), EVERY_MINUTE, recorder)

    await run_live_for(scheduler, clock, 3 * 60 + 30)

    assert recorder.started_at == minutes_after_start(0, 1, 2, 3)
    assert notices == []


@pytest.mark.asyncio
async def test_per_event_policy_overrides_the_scheduler_default() -> None:
    """add(overlap=PARALLEL) beats the scheduler's SKIP default."""
    clock, scheduler, notices = live_scheduler()
    recorder = Recorder(clock, seconds=150)
    event = scheduler.add(
        date_rules.every_day(), EVERY_MINUTE, recorder, overlap=OverlapPolicy.PARALLEL
    )

    await run_live_for(scheduler, clock, 2 * 60 + 30)

    assert event.overlap is OverlapPolicy.PARALLEL
    assert recorder.started_at == minutes_after_start(0, 1, 2)
    assert notices == []


@pytest.mark.asyncio
async def test_event_added_while_sleeping_wakes_the_scheduler() -> None:
    """An event added during a long sleep fires at its own, earlier time."""
    clock, scheduler, _ = live_scheduler()
    scheduler.add(date_rules.every_day(), time_rules.at(23), noop)
    recorder = Recorder(clock)

    async with anyio.create_task_group() as group:
        group.start_soon(scheduler.run_live, group)
        async with clock.autojump():
            await clock.sleep_until(60)
            scheduler.add(date_rules.today, time_rules.at(9, 5), recorder)
            await clock.sleep_until(600)

        group.cancel_scope.cancel()

    assert recorder.started_at == [START + timedelta(minutes=5)]


@pytest.mark.asyncio
async def test_removed_or_disabled_events_do_not_fire_live() -> None:
    """remove() and enabled=False stop live firings without notices."""
    clock, scheduler, notices = live_scheduler()
    removed = Recorder(clock)
    disabled = Recorder(clock)
    event = scheduler.add(
        date_rules.every_day(),
        EVERY_MINUTE,
        removed,
        start=START + timedelta(seconds=1),
    )
    scheduler.add(
        date_rules.every_day(),
        EVERY_MINUTE,
        disabled,
        start=START + timedelta(seconds=1),
    ).enabled = False

    async with anyio.create_task_group() as group:
        group.start_soon(scheduler.run_live, group)
        async with clock.autojump():
            await clock.sleep_until(90)
            scheduler.remove(event)
            await clock.sleep_until(300)

        group.cancel_scope.cancel()

    assert removed.times == minutes_after_start(1)
    assert disabled.times == []
    assert notices == []


@pytest.mark.asyncio
async def test_run_live_twice_is_an_error() -> None:
    """One scheduler runs live once at a time."""
    _, scheduler, _ = live_scheduler()

    with pytest.RaisesGroup(pytest.RaisesExc(ScheduleError, match="already running")):
        async with anyio.create_task_group() as group:
            group.start_soon(scheduler.run_live, group)
            await wait_all_tasks_blocked()
            await scheduler.run_live(group)


@pytest.mark.asyncio
async def test_notices_are_logged_without_a_callback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without on_notice, a skipped occurrence is logged as a warning, never silent."""
    clock = ManualClock(START)
    scheduler = Scheduler(clock)
    scheduler.add(date_rules.every_day(), EVERY_MINUTE, Recorder(clock, seconds=61))

    with caplog.at_level(logging.WARNING, logger="aiotrain.schedule"):
        await run_live_for(scheduler, clock, 90)

    assert [record.getMessage() for record in caplog.records] == [
        "scheduled event 'EveryDay: Every 1 min': 1 occurrence(s) skipped (2000-01-03T14:01:00+00:00)"
    ]


@pytest.mark.asyncio
async def test_action_error_propagates_through_the_task_group() -> None:
    """A failing action fails the caller's task group; it is never swallowed."""
    clock, scheduler, _ = live_scheduler()

    async def fail(occurrence: Occurrence) -> None:
        raise RuntimeError(f"failed at {occurrence.time:%H:%M}")

    scheduler.add(date_rules.every_day(), EVERY_MINUTE, fail)

    with pytest.RaisesGroup(pytest.RaisesExc(RuntimeError, match="failed at 14:00")):
        await run_live_for(scheduler, clock, 30)
