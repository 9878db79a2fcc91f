"""How many bars per second the data readers deliver.

Reads SPY's hourly LEAN file (about 40,800 bars) end to end, and merges the
hourly files of SPY and AAPL into slices. Prints the best of several runs.

Usage::

    python benchmarks/bench_readers.py [--quick] [--data LEAN_DATA_DIR]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from aiotrain import merge_slices, read_lean

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lean"


def count(items: Iterable[object]) -> int:
    """Exhaust ``items`` and return how many there were."""
    return sum(1 for _ in items)


def best_rate(work: Callable[[], int], repeats: int) -> tuple[int, float]:
    """Run ``work`` ``repeats`` times; return its count and the best items/s."""
    best = float("inf")
    items = 0
    for _ in range(repeats):
        started = time.perf_counter()
        items = work()
        best = min(best, time.perf_counter() - started)

    return items, items / best


def main() -> None:
    """Parse the arguments, run the measurements and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run instead of 5")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    repeats = 1 if args.quick else 5

    def spy_hour() -> int:
        return count(read_lean(args.data, "spy", "hour"))

    def two_symbol_slices() -> int:
        streams = [read_lean(args.data, sym, "hour") for sym in ("spy", "aapl")]
        return sum(len(data) for data in merge_slices(*streams))

    for name, work in [
        ("read_lean SPY hour", spy_hour),
        ("merge_slices SPY+AAPL hour", two_symbol_slices),
    ]:
        bars, rate = best_rate(work, repeats)
        print(f"{name:<28} {bars:>7,} bars  {rate:>10,.0f} bars/s")


if __name__ == "__main__":
    main()
