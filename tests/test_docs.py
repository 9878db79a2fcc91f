"""Run every Python sample in the documentation, and check the API reference.

Each fenced ``python`` block of ``docs/**/*.md`` runs as its own test, in a
fresh namespace, in a temporary working directory. A block whose code has a
top-level ``await`` runs under ``asyncio.run``. A block followed directly by
a fenced ``text`` block must print exactly that text. A block right after a
``<!-- no-test -->`` line is skipped: keep those for shell-like snippets and
samples that need the engine or files that the docs do not ship.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import re
from pathlib import Path
from typing import NamedTuple

import pytest

import aiotrain

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NO_TEST = "<!-- no-test -->"

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<lang>[\w-]*)")


class Sample(NamedTuple):
    """One fenced ``python`` block of a page."""

    page: str
    number: int
    line: int
    code: str
    expected_output: str | None
    skipped: bool

    @property
    def test_id(self) -> str:
        return f"{self.page}#{self.number}@L{self.line}"


class _Block(NamedTuple):
    lang: str
    line: int  # 1-based line of the first line of code
    code: str
    marked_no_test: bool
    follows_block: bool  # only blank lines since the previous block's fence


def _blocks(text: str) -> list[_Block]:
    """The fenced blocks of a Markdown page, in order."""
    lines = text.splitlines()
    blocks: list[_Block] = []
    previous = ""
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue

        indent, fence = len(match["indent"]), match["fence"]
        first_line = index + 2
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index][indent:])
            index += 1

        code = "\n".join(body) + "\n"
        blocks.append(
            _Block(match["lang"], first_line, code, previous == NO_TEST, previous == "")
        )
        previous = ""
        index += 1

    return blocks


def _samples(path: Path) -> list[Sample]:
    page = path.relative_to(DOCS).as_posix()
    blocks = _blocks(path.read_text(encoding="utf-8"))
    samples: list[Sample] = []
    for position, block in enumerate(blocks):
        if block.lang != "python":
            continue

        following = blocks[position + 1] if position + 1 < len(blocks) else None
        output = (
            following.code
            if following is not None
            and following.lang == "text"
            and following.follows_block
            else None
        )
        number = len(samples) + 1
        samples.append(
            Sample(page, number, block.line, block.code, output, block.marked_no_test)
        )

    return samples


def _all_samples() -> list[Sample]:
    return [sample for page in sorted(DOCS.rglob("*.md")) for sample in _samples(page)]


SAMPLES = _all_samples()


def _run(code: str, filename: str) -> str:
    """Execute ``code`` in a fresh namespace; return what it printed."""
    compiled = compile(
        code, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    namespace: dict[str, object] = {"__name__": "__docs__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        if compiled.co_flags & inspect.CO_COROUTINE:
            asyncio.run(eval(compiled, namespace))
        else:
            exec(compiled, namespace)

    return printed.getvalue()


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.test_id for s in SAMPLES])
def test_doc_sample(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample runs without error and prints exactly the text block after it."""
    if sample.skipped:
        pytest.skip(f"marked {NO_TEST}")

    monkeypatch.chdir(tmp_path)
    printed = _run(sample.code, f"docs/{sample.page}:block{sample.number}")

    if sample.expected_output is not None:
        assert printed == sample.expected_output


def test_samples_were_found() -> None:
    """The pages hold samples, and most of them run rather than being skipped."""
    runnable = [s for s in SAMPLES if not s.skipped]
    skipped = [s for s in SAMPLES if s.skipped]

    assert len(runnable) >= 20
    assert len(skipped) <= 6


def test_block_parser_reads_markers_and_outputs() -> None:
    """The parser finds the language, the no-test marker and the output block."""
    page = (
        "Intro.\n\n<!-- no-test -->\n```python\nskip_me()\n```\n\n"
        "```python\nprint(1)\n```\n\n```text\n1\n```\n"
    )

    blocks = _blocks(page)

    assert blocks == [
        _Block("python", 5, "skip_me()\n", True, False),
        _Block("python", 9, "print(1)\n", False, True),
        _Block("text", 13, "1\n", False, True),
    ]


def test_top_level_await_runs_under_asyncio() -> None:
    """A sample with a top-level ``await`` runs in an event loop."""
    printed = _run("import asyncio\nawait asyncio.sleep(0)\nprint('ok')\n", "t")

    assert printed == "ok\n"


def test_every_public_name_is_in_the_api_reference() -> None:
    """Each name of ``aiotrain.__all__`` has a ``::: aiotrain.NAME`` entry."""
    text = "\n".join(
        page.read_text(encoding="utf-8")
        for page in sorted((DOCS / "reference").glob("*.md"))
    )
    documented = set(re.findall(r"^::: aiotrain\.(\w+)\s*$", text, re.MULTILINE))

    assert sorted(set(aiotrain.__all__) - documented) == []
    assert sorted(documented - set(aiotrain.__all__)) == []
