"""Cost and memory of working out fire times.

Two measurements:

* memory while one event's fire times are evaluated a million times (every
  minute, about two years): the traced Python heap is sampled along the way
  and must stay flat, since rules generate lazily;
* next-fire computation for 10,000 events over one year in a backtest walk
  (``Scheduler.due_before``), events mixing calendar and NYSE rules.

Usage::

    python benchmarks/bench_schedule.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiotrain import (
    DateRule,
    ManualClock,
    Occurrence,
    Scheduler,
    TimeRule,
    Weekday,
    date_rules,
    time_rules,
)
from aiotrain._rules import fire_times

START = datetime(2000, 1, 3, tzinfo=UTC)


def memory_over_evaluations(
    evaluations: int, samples: int = 5
) -> list[tuple[int, int]]:
    """Evaluate ``evaluations`` fire times; return (evaluated, traced bytes) samples."""
    times = fire_times(
        date_rules.every_day(), time_rules.every(timedelta(minutes=1)), START
    )
    step = evaluations // samples
    readings: list[tuple[int, int]] = []
    tracemalloc.start()
    for sample in range(1, samples + 1):
        for _ in itertools.islice(times, step):
            pass

        readings.append((sample * step, tracemalloc.get_traced_memory()[0]))

    tracemalloc.stop()
    return readings


def random_rules(chooser: random.Random) -> tuple[DateRule, TimeRule]:
    """One of a mix of everyday rule pairs, calendar and NYSE."""
    makers: list[Callable[[], tuple[DateRule, TimeRule]]] = [
        lambda: (
            date_rules.every_day(),
            time_rules.at(chooser.randrange(24), chooser.randrange(60)),
        ),
        lambda: (date_rules.every(Weekday(chooser.randrange(7))), time_rules.at(8)),
        lambda: (
            date_rules.every_day("SPY"),
            time_rules.after_market_open("SPY", chooser.randrange(390)),
        ),
        lambda: (
            date_rules.week_start("SPY", chooser.randrange(5)),
            time_rules.before_market_close("SPY", 10),
        ),
        lambda: (date_rules.month_start(chooser.randrange(31)), time_rules.noon),
        lambda: (
            date_rules.month_end("SPY", chooser.randrange(5)),
            time_rules.midnight,
        ),
    ]
    return chooser.choice(makers)()


async def ignore(occurrence: Occurrence) -> None:
    """A scheduled action that does nothing."""


def next_fire_over_a_year(event_count: int) -> tuple[int, float, float]:
    """Add ``event_count`` events and walk a year; return fires, add and walk seconds."""
    chooser = random.Random(4)
    scheduler = Scheduler(ManualClock(START))
    next(
        date_rules.every_day("SPY").dates(START.date())
    )  # load the NYSE calendar first

    started = time.perf_counter()
    for _ in range(event_count):
        scheduler.add(*random_rules(chooser), ignore)

    added = time.perf_counter()
    fired = sum(1 for _ in scheduler.due_before(START + timedelta(days=365)))
    walked = time.perf_counter()
    return fired, added - started, walked - added


def main() -> None:
    """Parse the arguments, run both measurements and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the work")
    args = parser.parse_args()
    evaluations = 100_000 if args.quick else 1_000_000
    event_count = 1_000 if args.quick else 10_000

    readings = memory_over_evaluations(evaluations)
    for evaluated, traced in readings:
        print(
            f"fire times evaluated {evaluated:>9,}  traced heap {traced / 1024:>8.1f} KiB"
        )
    growth = readings[-1][1] - readings[0][1]
    print(f"heap growth from first to last sample: {growth / 1024:.1f} KiB")

    fired, add_seconds, walk_seconds = next_fire_over_a_year(event_count)
    print(
        f"{event_count:,} events over a year: {fired:,} fires; add {add_seconds:.2f} s, "
        f"walk {walk_seconds:.2f} s ({walk_seconds / fired * 1e6:.1f} us per fire)"
    )


if __name__ == "__main__":
    main()
