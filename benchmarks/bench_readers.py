"""How many bars per second the data readers deliver.

Reads SPY's hourly LEAN file (about 40,800 bars) end to end, and merges the
hourly files of SPY and AAPL into slices. For scale, the same SPY file is
also parsed with the standard library's ``csv`` module alone, with no bars
built, in the same run.

Part of ``python -m benchmarks``; alone::

    python -m benchmarks.bench_readers [--quick] [--data LEAN_DATA_DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from aiotrain import merge_slices, read_lean
from benchmarks._harness import Section, median, print_section

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lean"
SPY_HOUR = Path("equity", "usa", "hour", "spy.zip")
TITLE = "Data readers"


def count(items: Iterable[object]) -> int:
    """Exhaust ``items`` and return how many there were."""
    return sum(1 for _ in items)


def median_rate(work: Callable[[], int], repeats: int) -> tuple[int, list[float]]:
    """Run ``work`` ``repeats`` times; return its count and each run's items/s."""
    items = 0
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        items = work()
        rates.append(items / (time.perf_counter() - started))

    return items, rates


def _workloads(data: Path) -> dict[str, Callable[[], int]]:
    """The reading jobs, keyed by the row label."""

    def csv_only() -> int:
        with zipfile.ZipFile(data / SPY_HOUR) as archive:
            (member,) = archive.namelist()
            with archive.open(member) as raw:
                return count(csv.reader(io.TextIOWrapper(raw, "ascii")))

    def spy_hour() -> int:
        return count(read_lean(data, "spy", "hour"))

    def two_symbol_slices() -> int:
        streams = [read_lean(data, symbol, "hour") for symbol in ("spy", "aapl")]
        return sum(len(bars) for bars in merge_slices(*streams))

    return {
        "`csv` only, SPY hour (no bars built)": csv_only,
        "`read_lean` SPY hour": spy_hour,
        "`merge_slices` SPY + AAPL hour": two_symbol_slices,
    }


def _missing_data() -> Section:
    """The section when the LEAN sample data is not there to read."""
    return Section(
        title=TITLE,
        method="Not measured: the LEAN sample data was not found.",
        columns=("case", "subject", "median", "ratio"),
        rows=(),
    )


def run(quick: bool, data: Path = DEFAULT_DATA) -> Section:
    """Measure reader throughput; ``quick`` reads each file once."""
    if not (data / SPY_HOUR).is_file():
        return _missing_data()

    repeats = 1 if quick else 5
    results = {
        label: median_rate(work, repeats) for label, work in _workloads(data).items()
    }
    baseline = median(results["`csv` only, SPY hour (no bars built)"][1])
    rows = tuple(
        (
            "throughput",
            f"{label}, {bars:,} bars",
            f"{median(rates):,.0f} bars/s",
            f"{median(rates) / baseline:.2f}",
        )
        for label, (bars, rates) in results.items()
    )
    return Section(
        title=TITLE,
        method=(
            f"Each file read end to end; median over runs: {repeats}. Ratio: the"
            " row's rate divided by the `csv`-only rate of the same run."
        ),
        columns=("case", "subject", "median", "ratio"),
        rows=rows,
    )


def main() -> None:
    """Run the section alone and print its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run instead of 5")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    print_section(run(args.quick, args.data))


if __name__ == "__main__":
    main()
