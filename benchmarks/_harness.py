"""What every benchmark module returns, and how the suite turns it into a page.

Each benchmark module exposes ``run(quick: bool) -> Section``. A section holds
a table of formatted figures, the targets it checked (met or not, and why),
free-form notes, and the distributions of the peers it measured, whose
versions go into the machine description.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import attrs

__all__ = [
    "Section",
    "Target",
    "describe_machine",
    "median",
    "no_gc",
    "percentile",
    "print_section",
    "render_page",
    "version_of",
]

OWN_DISTRIBUTIONS = ("aiotrain", "anyio", "attrs")


@attrs.frozen
class Target:
    """A goal a section checks, whether the run met it, and the evidence.

    Attributes:
        goal: What should hold, in a few words.
        met: Whether this run met it.
        detail: The figures behind the verdict and, when missed, why.
    """

    goal: str
    met: bool
    detail: str


@attrs.frozen
class Section:
    """One benchmark module's results, ready to render.

    Attributes:
        title: The section's heading.
        method: What is measured and how, in a sentence or two.
        columns: The table's column headings.
        rows: The table's rows, each already formatted, one cell per column.
        targets: The goals checked in this run.
        notes: Remarks printed under the table.
        peers: Distribution names of the other libraries measured.
    """

    title: str
    method: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    targets: tuple[Target, ...] = ()
    notes: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()


def median(values: Sequence[float]) -> float:
    """The median of ``values``; the one figure the suite reports per measurement."""
    return statistics.median(values)


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which ``share`` (0 to 1) of ``values`` lie, interpolated."""
    cuts = statistics.quantiles(values, n=1000, method="inclusive")
    return cuts[round(share * 1000) - 1]


@contextmanager
def no_gc() -> Iterator[None]:
    """Keep the garbage collector out of a timed loop, as ``timeit`` does."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def version_of(distribution: str) -> str:
    """The installed version of ``distribution``, or ``"not installed"``."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    """The processor's marketing name where the system tells it."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()

    return platform.processor() or "unknown"


def describe_machine(peers: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The machine, the interpreter and the versions of everything measured."""
    facts = [
        ("CPUs", str(os.cpu_count())),
        ("CPU model", _cpu_model()),
        ("Python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("Platform", platform.platform()),
    ]
    names = dict.fromkeys([*OWN_DISTRIBUTIONS, *peers])
    facts += [(name, version_of(name)) for name in names]
    return tuple(facts)


def print_section(section: Section) -> None:
    """Print a section's rows and targets, for a module run on its own."""
    for row in section.rows:
        print("  ".join(row))
    for target in section.targets:
        print(f"{'met' if target.met else 'MISSED'}: {target.goal}. {target.detail}")


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _render_section(section: Section) -> list[str]:
    """A section's heading, method, table, targets and notes."""
    lines = [f"## {section.title}", "", section.method, ""]
    lines += _table(section.columns, section.rows)
    if section.targets:
        lines += ["", "Targets:", ""]
        lines += [
            f"- {'met' if target.met else '**missed**'}: {target.goal}. {target.detail}"
            for target in section.targets
        ]
    if section.notes:
        lines.append("")
        lines += [f"- {note}" for note in section.notes]

    return [*lines, ""]


def _render_summary(sections: Sequence[Section]) -> list[str]:
    """One line per target across all sections."""
    rows = [
        (section.title, target.goal, "met" if target.met else "**missed**")
        for section in sections
        for target in section.targets
    ]
    return ["## Targets", "", *_table(("section", "target", "result"), rows), ""]


def render_page(
    sections: Sequence[Section], *, quick: bool, pending: Sequence[str]
) -> str:
    """The whole page: how it was made, the machine, the targets, each section."""
    peers = [peer for section in sections for peer in section.peers]
    mode = "quick mode: one run each at tiny sizes, not for quoting" if quick else ""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m benchmarks` on {datetime.now(UTC):%Y-%m-%d}"
        + (f" ({mode})." if mode else "."),
        "Each timing is the median of repeated runs; comparisons with other",
        "libraries are measured in the same run and given as ratios. A missed",
        "target is reported here, never turned into a failure.",
        "",
        "## Machine",
        "",
        *_table(("item", "value"), describe_machine(peers)),
        "",
        *_render_summary(sections),
    ]
    for section in sections:
        lines += _render_section(section)
    if pending:
        lines += ["## Not measured yet", ""]
        lines += [f"- {item}" for item in pending]

    return "\n".join(lines).rstrip() + "\n"
