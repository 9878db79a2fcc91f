"""Cost and memory of working out fire times.

Two measurements:

* memory while one event's fire times are evaluated a million times (every
  minute, about two years): the traced Python heap is sampled along the way
  and must stay flat, since rules generate lazily;
* next-fire computation for 10,000 events over one year in a backtest walk
  (``Scheduler.due_before``), events mixing calendar and NYSE rules.

Part of ``python -m benchmarks``; alone::

    python -m benchmarks.bench_schedule [--quick]
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
from aiotrain._rule_base import fire_times
from benchmarks._harness import Section, Target, median, print_section

START = datetime(2000, 1, 3, tzinfo=UTC)
FLAT_SHARE = 0.01


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


def _memory_rows(evaluations: int) -> tuple[tuple[tuple[str, ...], ...], Target]:
    """Heap samples while fire times are evaluated, and the flatness target."""
    readings = memory_over_evaluations(evaluations)
    rows = tuple(
        ("fire-time memory", f"{evaluated:,} evaluated", f"{traced / 1024:.1f} KiB")
        for evaluated, traced in readings
    )
    first, last = readings[0][1], readings[-1][1]
    growth = last - first
    target = Target(
        "traced heap flat while fire times are evaluated",
        growth <= FLAT_SHARE * first,
        f"Grew {growth / 1024:.1f} KiB from the first sample to the last"
        f" (limit: {FLAT_SHARE:.0%} of the first sample).",
    )
    return rows, target


def _next_fire_rows(event_count: int, repeats: int) -> tuple[tuple[str, ...], ...]:
    """Median add and walk times over ``repeats`` runs of a year's walk."""
    runs = [next_fire_over_a_year(event_count) for _ in range(repeats)]
    fired = runs[0][0]
    add_seconds = median([run[1] for run in runs])
    walk_seconds = median([run[2] for run in runs])
    subject = f"{event_count:,} events over a year ({fired:,} fires)"
    return (
        ("next fire", f"add {subject}", f"{add_seconds:.2f} s"),
        ("next fire", f"walk {subject}", f"{walk_seconds:.2f} s"),
        ("next fire", "walk, per fire", f"{walk_seconds / fired * 1e6:.1f} µs"),
    )


def run(quick: bool) -> Section:
    """Measure fire-time memory and next-fire cost; ``quick`` uses tiny sizes."""
    evaluations = 10_000 if quick else 1_000_000
    event_count = 100 if quick else 10_000
    repeats = 1 if quick else 3
    memory_rows, flat = _memory_rows(evaluations)
    fire_rows = _next_fire_rows(event_count, repeats)
    return Section(
        title="Scheduling",
        method=(
            f"Memory: one event's fire times (every minute) evaluated {evaluations:,}"
            " times under `tracemalloc`, heap sampled five times; a byte count,"
            " measured once. Next fire: events mixing calendar and NYSE rules are"
            " added to a `Scheduler` and walked over a year with `due_before`;"
            f" median over runs: {repeats}. No peer is measured: LEAN's scheduler"
            " runs on .NET."
        ),
        columns=("case", "subject", "median"),
        rows=memory_rows + fire_rows,
        targets=(flat,),
    )


def main() -> None:
    """Run the section alone and print its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run")
    print_section(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
