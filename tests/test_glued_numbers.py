"""Numbers that a chapter's prose quotes from a computation are glued from it, never typed.

The scan reads the markdown of the chapters in :data:`CHECKED`, drops what may hold a
number legitimately (glue and eval roles, inline code, math, links, citations and
cross-references), and fails on any number with two or more significant digits that
is not a constant of the book: a year, or an entry of the chapter's allow-list below
(sizes of data sets and networks, the book's fixed settings, the thresholds its
asserts state, the papers' settings). A measured number belongs in a ``glue`` call
(or a results file that a cell reads and glues), so that it changes when the
weights or the code do.

Chapters 9-13 are checked; chapters 1-8 still type some measured ranges in their prose and
join :data:`CHECKED` once those are glued or dropped.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

ROLE = re.compile(r"\{(?:glue:text|glue:md|glue|eval|eval:md)\}`[^`]*`")
DROPPED = [
    ROLE,
    re.compile(r"```.*?```|`[^`]*`", re.S),  # code
    re.compile(r"\]\([^)]*\)|\{(?:cite:[pt]|eq|ref|numref|term|doc)\}`[^`]*`"),  # links, citations, references
    re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S),  # math
]
NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)")  # "4.7x" and "0.05σ" read as 4.7 and 0.05
YEAR = re.compile(r"^(19|20)\d\d$")

# Constants of each chapter: sizes, settings, the thresholds its checks assert.
COMMON = {"28", "32", "64", "128", "256", "512", "784", "1,000", "2,000", "2,500", "4,000", "5,000", "10,000"}
ALLOWED = {
    "evaluation": COMMON
    | {"99", "1.1", "250", "15", "0.85", "0.95", "1.25", "12", "25", "1.3", "0.75", "16", "13", "7.5"},
    "stylegan": COMMON | {"57,600", "16", "0.995", "0.289"},  # 0.289 = 1/√12, uniform factors
    "sefa": COMMON | {"1.5", "25"},
    "ot_geometry": COMMON | {"1.5", "85", "97", "25", "18"},
    "cyclegan": COMMON | {"26"},  # 26 × 26: a PatchGAN score's receptive field
    # the talk's CelebA FIDs (the authors' claims), the recipe's steps, the asserts' thresholds
    "vae_blur": COMMON
    | {
        "78",
        "49",
        "40",
        "6,000",
        "13.1",
        "13.2",
        "0.25",
        "0.1",
        "0.3",
        "0.11",
        "300",
        "10",
        "0.9",
        "1.3",
        "0.03",
        "0.01",
        "1.2",
        "25",
    },
}
CHECKED = sorted(ALLOWED)


def significant_digits(token: str) -> int:
    t = token.replace(",", "").strip(".")
    digits = t.replace(".", "").lstrip("0")
    return len(digits if "." in t else digits.rstrip("0"))


def typed_numbers(notebook: Path) -> list[tuple[int, str]]:
    """(cell index, token) of each number of two or more significant digits in the prose."""
    found = []
    for i, cell in enumerate(json.loads(notebook.read_text())["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        for pattern in DROPPED:
            text = pattern.sub(" ", text)
        for m in NUMBER.finditer(text):
            token = m.group(1).rstrip(",.")
            if significant_digits(token) >= 2 and not YEAR.match(token):
                found.append((i, token))
    return found


@pytest.mark.parametrize("chapter", CHECKED)
def test_prose_quotes_no_unglued_measurement(chapter):
    typed = [(i, t) for i, t in typed_numbers(ROOT / "book" / f"{chapter}.ipynb") if t not in ALLOWED[chapter]]
    assert not typed, (
        f"book/{chapter}.ipynb types numbers that look measured (cell, number): {typed}; glue them from the "
        "cell or results file that computes them, or, if one is a constant of the book, add it to ALLOWED"
    )


def test_the_scan_sees_a_typed_number_and_ignores_glued_and_math_ones(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["FID fell to 52.4 in 2019; $x = 3.14$ and {glue:text}`fid:.1f`."]},
            {"cell_type": "markdown", "source": ["Checked for seeds 0–4 with `lr = 0.0002`, a margin of 5 %."]},
            {"cell_type": "markdown", "source": ["Near-copies are 4.7x as common; R1 every 16 steps."]},
        ]
    }
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert typed_numbers(path) == [(0, "52.4"), (2, "4.7"), (2, "16")]


def test_prose_holds_no_control_characters():
    """A backslash sequence such as \\b or \\t written through an unescaped string becomes a control character."""
    bad = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            text = "".join(cell["source"])
            if any(ord(ch) < 32 and ch != "\n" for ch in text):
                bad.append(f"{path.name} cell {i}")
    for path in sorted((ROOT / "book").glob("*.md")):
        if any(ord(ch) < 32 and ch != "\n" for ch in path.read_text()):
            bad.append(path.name)
    assert not bad, f"control characters in: {bad}"
