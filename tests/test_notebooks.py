"""What a reader of the chapters sees, checked without executing them.

- every code line fits the page: at most 88 characters (ruff's line length);
- no "seed 000" … "seed 004" in reader-facing text: the source notes are cited
  by their bibliography keys (book/sources.md), and "seed" means a random seed;
- notebooks are committed without outputs (the book build executes them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
PAGES = sorted(BOOK.glob("*.md"))
MAX_LINE = 88
# "seed 000", "Seed 003", "seeds 001 and 004", "seed 002's": a source note by its number.
SOURCE_BY_NUMBER = re.compile(r"\bseeds?\s+00\d", re.IGNORECASE)


def _cells(nb: Path) -> list[dict]:
    return json.loads(nb.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def test_there_are_chapters():
    assert NOTEBOOKS, f"no notebooks in {BOOK}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(nb):
    long = [
        f"cell {i} line {j}: {len(line)} chars: {line[:60]}…"
        for i, cell in enumerate(_cells(nb))
        if cell["cell_type"] == "code"
        for j, line in enumerate(_source(cell).splitlines(), 1)
        if len(line) > MAX_LINE
    ]
    assert not long, f"{nb.name}: {len(long)} code lines over {MAX_LINE} characters:\n" + "\n".join(long)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_no_source_note_called_seed_in_markdown(nb):
    hits = [
        f"cell {i}: …{_source(cell)[max(m.start() - 30, 0) : m.end() + 30]!r}…"
        for i, cell in enumerate(_cells(nb))
        if cell["cell_type"] == "markdown"
        for m in SOURCE_BY_NUMBER.finditer(_source(cell))
    ]
    assert not hits, f"{nb.name}: cite the source note instead of 'seed 00N':\n" + "\n".join(hits)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_source_note_called_seed_in_pages(page):
    text = page.read_text(encoding="utf-8")
    hits = [f"line {text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}" for m in SOURCE_BY_NUMBER.finditer(text)]
    assert not hits, f"{page.name}: cite the source note instead of 'seed 00N': {hits}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(nb):
    dirty = [
        i
        for i, cell in enumerate(_cells(nb))
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{nb.name}: cells {dirty} carry outputs; run `jupyter nbconvert --clear-output --inplace`"
