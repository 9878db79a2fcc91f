"""Run the benchmark suite and write the results page.

Usage::

    python -m benchmarks              # full run, rewrites docs/benchmarks.md
    python -m benchmarks --quick      # one tiny run of each, page to stdout
    python -m benchmarks --quick --output PATH

Every section runs in this process, one after another. Speed never makes
the command fail: a missed target is written on the page.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import (
    bench_backtest,
    bench_lag,
    bench_memory,
    bench_quota,
    bench_readers,
    bench_schedule,
    bench_timeout,
)
from benchmarks._harness import Section, render_page

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

SECTIONS: dict[str, Callable[[bool], Section]] = {
    "quota": bench_quota.run,
    "schedule": bench_schedule.run,
    "readers": bench_readers.run,
    "timeout": bench_timeout.run,
    "lag": bench_lag.run,
    "backtest": bench_backtest.run,
    "memory": bench_memory.run,
}

PENDING: tuple[str, ...] = ()


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: ``--quick``, ``--output`` and ``--only``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="each benchmark once, at tiny sizes"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the page (default: docs/benchmarks.md, or stdout"
        " with --quick)",
    )
    parser.add_argument(
        "--only", choices=list(SECTIONS), action="append", help="run these sections"
    )
    return parser.parse_args(argv)


def run_sections(names: Sequence[str], quick: bool) -> list[Section]:
    """Run each named section, reporting progress on stderr."""
    sections = []
    for name in names:
        started = time.perf_counter()
        sections.append(SECTIONS[name](quick))
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)

    return sections


def main(argv: Sequence[str] | None = None) -> None:
    """Run the suite and write (or print) the page."""
    arguments = parse_arguments(argv)
    names = arguments.only or list(SECTIONS)
    sections = run_sections(names, arguments.quick)
    page = render_page(sections, quick=arguments.quick, pending=PENDING)

    output = arguments.output or (None if arguments.quick else DEFAULT_OUTPUT)
    if output is None:
        sys.stdout.write(page)
    else:
        output.write_text(page, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
