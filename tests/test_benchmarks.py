"""The benchmark suite still runs end to end and writes a complete page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SECTION_HEADINGS = (
    "Machine",
    "Targets",
    "Quota",
    "Scheduling",
    "Data readers",
    "Stop at the quota boundary",
    "Event-loop lag in live mode",
    "Backtest throughput",
    "Live-mode memory",
)


@pytest.mark.slow
def test_quick_run_writes_every_section(tmp_path: Path) -> None:
    """``python -m benchmarks --quick`` writes the machine and every section."""
    page_path = tmp_path / "benchmarks.md"

    subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(page_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )

    page = page_path.read_text(encoding="utf-8")
    for heading in SECTION_HEADINGS:
        assert f"## {heading}" in page
    for fact in ("| CPUs |", "| Python |", "| Platform |", "| aiolimiter |"):
        assert fact in page
    for peer in ("| backtrader |", "| psutil |"):
        assert peer in page
    assert "## Not measured yet" not in page


def test_quick_run_without_output_leaves_docs_alone() -> None:
    """In quick mode the page goes to stdout unless ``--output`` is given."""
    docs_page = ROOT / "docs" / "benchmarks.md"
    before = docs_page.read_bytes() if docs_page.exists() else None

    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "quota"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.stdout.startswith("# Benchmarks")
    assert (docs_page.read_bytes() if docs_page.exists() else None) == before
