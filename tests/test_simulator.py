"""Tests for the quota simulator: hand-derived schedules, and agreement with a backtest."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aiotrain import (
    SUNDAY,
    Algorithm,
    ConfigError,
    ManualClock,
    QuotaConfig,
    RunStatus,
    ScheduleError,
    backtest,
    date_rules,
    simulate_quota,
    time_rules,
)
from aiotrain.testing import synthetic_slices, training_that_takes

NEW_YORK = ZoneInfo("America/New_York")
MONDAY_MIDNIGHT = datetime(2025, 1, 6, tzinfo=NEW_YORK)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A New York time in January 2025."""
    return datetime(2025, 1, day, hour, minute, tzinfo=NEW_YORK)


def test_weekly_45_minutes_with_defaults_never_runs_dry() -> None:
    """Defaults (120, 18 a day), Sundays 08:00, 45 minutes: 52 runs, none stopped, lowest 75."""
    # A week refills 7 * 18 = 126 >= 45 tokens, so every Sunday starts full (120)
    # and ends at 120 - 45 = 75.
    report = simulate_quota(
        QuotaConfig(),
        date_rules.every(SUNDAY),
        time_rules.at(8, 0),
        training_minutes=45,
        start=MONDAY_MIDNIGHT,
    )

    assert report.runs_started == 52
    assert report.runs_exhausted == 0
    assert report.first_exhaustion is None
    assert report.tokens_drawn == 52 * 45
    assert {run.level_before for run in report.runs} == {120}
    assert (report.lowest_level, report.lowest_level_at) == (75, at(12, 8, 45))
    assert report.runs[0].scheduled_time == at(12, 8)
    assert report.runs[-1].scheduled_time == datetime(2026, 1, 4, 8, tzinfo=NEW_YORK)
    # The period ends 365 days on, at 2026-01-06 00:00; the last run (Jan 4)
    # left 75, and the refills of Jan 5 and Jan 6 00:00 bring it to 111.
    assert report.end == datetime(2026, 1, 6, tzinfo=NEW_YORK)
    assert report.final_level == 111


def test_daily_45_minutes_with_defaults_first_runs_dry_on_the_fourth_day() -> None:
    """Defaults, every day 08:00, 45 minutes: the run of 2025-01-09 is the first stopped, at 08:40."""
    # The bucket starts full (120) at Monday 00:00 and gets 18 back at each
    # midnight after. A 45-minute run draws a token at minutes 1, 2, ..., 45
    # (the first minute is free, the 45th boundary is charged), so 45 tokens.
    #   Jan 6: 120 before, 120 - 45 = 75 after
    #   Jan 7: 75 + 18 = 93 before, 48 after
    #   Jan 8: 48 + 18 = 66 before, 21 after
    #   Jan 9: 21 + 18 = 39 before: < 45. Minutes 1..39 draw the 39 tokens; the
    #          token of minute 40 is refused, so the run stops at 08:40, level 0.
    #   Jan 10 on: 18 before, 18 drawn, stopped at minute 19 (08:19).
    report = simulate_quota(
        QuotaConfig(),
        date_rules.every_day(),
        time_rules.at(8, 0),
        training_minutes=45,
        start=MONDAY_MIDNIGHT,
    )

    first = report.first_exhaustion
    assert first is not None
    assert first.scheduled_time == at(9, 8)
    assert (first.level_before, first.tokens_drawn, first.minutes) == (39, 39, 40.0)
    assert first.ended_at == at(9, 8, 40)
    assert [(run.level_before, run.level_after) for run in report.runs[:5]] == [
        (120, 75),
        (93, 48),
        (66, 21),
        (39, 0),
        (18, 0),
    ]
    assert (report.runs[4].tokens_drawn, report.runs[4].minutes) == (18, 19.0)
    assert (report.lowest_level, report.lowest_level_at) == (0, at(9, 8, 39))
    assert report.runs_started == 365
    assert report.runs_exhausted == 362
    assert report.tokens_drawn == 3 * 45 + 39 + 361 * 18


def test_metering_boundaries_match_the_engine_rule() -> None:
    """59 s draws nothing, 60 s one token, 180 s three, 180 s less a microsecond two."""
    lengths = [59 / 60, 1.0, 3.0, 3.0 - 1e-6 / 60]

    draws = [
        simulate_quota(
            QuotaConfig(),
            date_rules.today,
            time_rules.at(8, 0),
            training_minutes=minutes,
            start=MONDAY_MIDNIGHT,
            days=1,
        ).tokens_drawn
        for minutes in lengths
    ]

    assert draws == [0, 1, 3, 2]


def test_a_full_bucket_lasts_capacity_plus_the_free_minute() -> None:
    """A 500-minute run against a full default bucket draws 120 tokens and stops at minute 121."""
    report = simulate_quota(
        QuotaConfig(),
        date_rules.today,
        time_rules.at(8, 0),
        training_minutes=500,
        start=MONDAY_MIDNIGHT,
        days=1,
    )

    (run,) = report.runs
    assert (run.tokens_drawn, run.minutes, run.exhausted) == (120, 121.0, True)
    assert report.lowest_level == 0


def test_the_bucket_refills_during_a_long_run() -> None:
    """Refill 1 a minute, capacity 10: a 30-minute run never runs dry; it rides the refills."""
    config = QuotaConfig(capacity=10, refill_amount=1, refill_interval_minutes=1)

    report = simulate_quota(
        config,
        date_rules.today,
        time_rules.at(8, 0),
        training_minutes=30,
        start=MONDAY_MIDNIGHT,
        days=1,
    )

    (run,) = report.runs
    assert (run.tokens_drawn, run.exhausted) == (30, False)
    assert (report.lowest_level, report.lowest_level_at) == (9, at(6, 8, 1))


def test_an_occurrence_during_a_run_is_skipped() -> None:
    """Daily at 08:00, each run 30 hours, unlimited quota: every other day is skipped."""
    report = simulate_quota(
        QuotaConfig.unlimited(),
        date_rules.every_day(),
        time_rules.at(8, 0),
        training_minutes=30 * 60,
        start=MONDAY_MIDNIGHT,
        days=6,
    )

    assert [run.scheduled_time for run in report.runs] == [
        at(6, 8),
        at(8, 8),
        at(10, 8),
    ]
    assert report.skipped == (at(7, 8), at(9, 8), at(11, 8))
    assert report.tokens_drawn == 0
    assert report.lowest_level == float("inf")


def test_random_lengths_are_drawn_from_the_seed() -> None:
    """A callable length gets a Random seeded with ``seed``: same seed, same runs."""

    def length(generator: random.Random) -> float:
        return generator.uniform(10, 80)

    def simulate(seed: int) -> list[float]:
        report = simulate_quota(
            QuotaConfig(),
            date_rules.every_day(),
            time_rules.at(8, 0),
            training_minutes=length,
            start=MONDAY_MIDNIGHT,
            days=5,
            seed=seed,
        )
        return [run.planned_minutes for run in report.runs]

    expected = random.Random(3)
    assert simulate(3) == [expected.uniform(10, 80) for _ in range(5)]
    assert simulate(3) != simulate(4)


def test_bad_arguments_are_clear_errors() -> None:
    """Negative lengths and days, a naive start, a sub-minute capacity: errors naming the value."""
    rules = (date_rules.every_day(), time_rules.at(8, 0))

    with pytest.raises(ValueError, match=r"training length .* \(got -1\)"):
        simulate_quota(
            QuotaConfig(), *rules, training_minutes=-1, start=MONDAY_MIDNIGHT
        )
    with pytest.raises(ValueError, match=r"`days` must be .* \(got -2\)"):
        simulate_quota(
            QuotaConfig(), *rules, training_minutes=5, start=MONDAY_MIDNIGHT, days=-2
        )
    with pytest.raises(ScheduleError, match="`start` must be time-zone aware"):
        simulate_quota(
            QuotaConfig(), *rules, training_minutes=5, start=datetime(2025, 1, 6)
        )
    with pytest.raises(
        ConfigError, match=r"`capacity` must be at least 1 .* \(got 0.5\)"
    ):
        simulate_quota(
            QuotaConfig(capacity=0.5), *rules, training_minutes=5, start=MONDAY_MIDNIGHT
        )


@pytest.mark.realtime
def test_a_year_of_daily_training_simulates_in_well_under_a_second() -> None:
    """365 daily 45-minute runs (about 7,000 metered minutes) take less than 0.5 s."""
    began = time.perf_counter()

    report = simulate_quota(
        QuotaConfig(),
        date_rules.every_day(),
        time_rules.at(8, 0),
        training_minutes=45,
        start=MONDAY_MIDNIGHT,
    )

    assert report.runs_started == 365
    assert time.perf_counter() - began < 0.5


class DailyFit(Algorithm):
    """Trains every day at 08:00 for a length drawn like the simulator draws it."""

    def __init__(self, real: ManualClock, seed: int) -> None:
        self.fit = training_that_takes(real, draw_length, seed=seed)

    async def initialize(self) -> None:
        await self.train(
            self.date_rules.every_day(), self.time_rules.at(8, 0), self.fit
        )


def draw_length(generator: random.Random) -> float:
    """Between 5 and 70 minutes, whole minutes now and then."""
    minutes = generator.uniform(5, 70)
    return float(round(minutes)) if generator.random() < 0.3 else minutes


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_simulator_agrees_with_a_backtest(seed: int) -> None:
    """The same schedule and lengths, simulated and backtested, give the same runs.

    "Same" here: the same scheduled times, the same tokens per run, the same
    runs stopped by the quota and at the same minute, the same total, and
    the same bucket level at the end. The backtest refills on simulated time
    (as the simulator does), and its training sleeps on the real manual
    clock. Simulated time stands still while a backtest trains, whereas the
    simulator's clock moves; the two agree because no refill boundary (each
    midnight) falls inside a run (08:00 to at most 09:11). The backtest
    fires only occurrences before its last slice and samples the level only
    after each slice, so the simulated period ends at the last slice and
    the lowest level is not compared.
    """
    config = QuotaConfig(capacity=90, refill_amount=30)
    slices = list(synthetic_slices(datetime(2025, 1, 6, 16, tzinfo=NEW_YORK), 60))
    real = ManualClock()

    async with real.autojump():
        backtested = await backtest(
            DailyFit(real, seed),
            slices,
            start=MONDAY_MIDNIGHT,
            quota=config,
            refill="simulated",
            real_clock=real,
        )
    period = slices[-1].time - MONDAY_MIDNIGHT
    simulated = simulate_quota(
        config,
        date_rules.every_day(),
        time_rules.at(8, 0),
        training_minutes=draw_length,
        start=MONDAY_MIDNIGHT,
        days=period / timedelta(days=1),
        seed=seed,
    )

    assert [
        (run.scheduled_time, run.tokens_drawn, run.status is RunStatus.QUOTA_EXHAUSTED)
        for run in backtested.runs
    ] == [
        (run.scheduled_time, run.tokens_drawn, run.exhausted) for run in simulated.runs
    ]
    assert [round(run.duration / 60, 6) for run in backtested.runs] == [
        round(run.minutes, 6) for run in simulated.runs
    ]
    assert len(simulated.runs) == 60
    assert backtested.tokens_drawn == simulated.tokens_drawn
    assert simulated.runs_exhausted > 0
    assert backtested.quota is not None
    assert backtested.quota.available == simulated.final_level
