"""Numbers that a chapter's prose quotes from a computation are glued from it, never typed.

The scan reads the markdown of the chapters in :data:`CHECKED`, drops what may hold a
number legitimately (glue and eval roles, inline code, math, links, citations and
cross-references), and fails on any number with two or more significant digits that
is not a constant of the book: a year, or an entry of the chapter's allow-list below
(sizes of data sets and networks, the book's fixed settings, the thresholds its
asserts state, the papers' settings). A measured number belongs in a ``glue`` call
(or a results file that a cell reads and glues), so that it changes when the
weights or the code do.

Every chapter is checked. A range measured over seeds or kernel paths outside the chapter is
either read from the results file the benchmark writes (``mode_collapse_results.json``,
``cpu_budget_tuning.json``) or dropped, and the prose then states the asserted threshold and
says that it held on every seed tried.
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
    re.compile(r"\bExercises? \d+\.\d+"),  # an exercise's number, "Exercise 5.1"
    # a chapter's list of references (tools/lab_roles.py): pages, volumes and arXiv numbers
    re.compile(r"<!-- references:.*?<!-- /references -->", re.S),
]
NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)")  # "4.7x" and "0.05σ" read as 4.7 and 0.05
YEAR = re.compile(r"^(19|20)\d\d$")

# Constants of each chapter: sizes, settings, the thresholds its checks assert.
COMMON = {"28", "32", "64", "128", "256", "512", "784", "1,000", "2,000", "2,500", "4,000", "5,000", "10,000"}
ALLOWED = {
    "generative_models": COMMON
    # book chapter 13 of the source; digits' split sizes and ~140 images per class;
    # 17 grey levels of 0..16, 91 values of θ, 1,500 mixture points; thresholds 95 %, 1.5
    | {"13", "1,438", "359", "140", "17", "16", "91", "1,500", "95", "1.5"},
    "vae": COMMON | {"16", "250", "1.5"},  # latent size and digits shown; asserted 250 nats, σ < 1.5
    "optimal_discriminator": COMMON | {"13", "13.41"},  # the source's chapter and equation
    "js_wasserstein": COMMON
    # source sections and theorems; the closed-form bias θ/2λ at |θ| = 0.5; probe and batch sizes;
    # the asserted 0.25
    | {"13", "13.3", "2.1", "2.3", "2.5", "4,096", "8,192", "0.25"},
    "mode_collapse": COMMON
    # settings and closed forms: σ/spacing, 1 - e^{-9/2} (and the ~2,470 hq samples it leaves, 1.4 %
    # noise of their median), log(25/3), log(25/20), 0.96^32, EMA decay, steps and snapshots
    | {"25", "0.013", "0.025", "0.989", "98.9", "99", "2,470", "1.4", "2.12", "0.22", "27", "0.999"}
    | {"13", "334", "14,000", "16"}
    # thresholds the checks assert
    | {"22", "23", "23.5", "24", "24.4", "75", "88", "95", "97", "0.25"}
    # published: VEEGAN's and PacGAN's Table 1
    | {"99.3", "3.3", "7.6", "35.6", "23.6", "52.9", "24.6", "6.3", "98.2", "0.45", "17.3", "94.8"}
    | {"0.70", "7.8", "95.9", "24.8", "93.6"},
    "reverse_kl": COMMON | {"13.47", "13.48", "2.5", "10.1", "4,001", "25"},  # sources' equations, grid, modes
    "dcgan": COMMON
    # the source's section; closed forms √0.02, √(d/2), 0.41√d at d = 64 and 256
    | {"13.3", "0.14", "5.66", "0.41", "3.3", "6.6"}
    # settings: widths, batch, steps, snapshots, EMA decay, known pixels, samples, frac
    | {"16", "15", "150", "0.995", "392", "1,500", "0.25"}
    # thresholds the checks assert, and a stated margin
    | {"17", "2.5", "13", "0.015", "1.5"},
    "wgan_gp": COMMON
    # the sources' sections, equation and algorithm; the critic's parameter count; batch sizes,
    # power iterations, probe counts, points per segment; EMA decay; asserted 85 %, 4.2 and 0.25
    | {"13.3", "13.55", "13.2", "36,513", "16", "56", "63", "15", "2,048", "41", "0.995", "85", "4.2", "0.25"},
    "evaluation": COMMON
    | {"99", "1.1", "250", "15", "0.85", "0.95", "1.25", "12", "25", "1.3", "0.75", "16", "13", "7.5"},
    # 0.289 = 1/√12, uniform factors; the copy test's 300 and 150 steps
    "stylegan": COMMON | {"57,600", "16", "0.995", "0.289", "0.99", "0.92", "300", "150"},
    # asserted thresholds: 1.5 times random's change, 75 % for a single-factor edit of real shapes
    "sefa": COMMON | {"1.5", "25", "0.999", "75"},
    "ot_geometry": COMMON | {"1.5", "85", "97", "25", "18"},
    # 26 × 26: a PatchGAN score's receptive field; the paper's section 5.3; the frontier's shorter runs, 1,200 steps
    "cyclegan": COMMON | {"95", "26", "5.3", "1,200"},
    # 99.61: the talk's recognizer on real CASIA faces (the authors' number, quoted as theirs)
    "conditional": COMMON
    | {"80", "100", "25", "8,000", "0.05", "95", "0.5", "99.61"}
    # IP-GAN: the attribute code's size; thresholds its checks assert (45 %, 1.5 times chance)
    | {"16", "45", "1.5"},
    # the talk's CelebA FIDs (the authors' claims), the recipe's steps, the asserts' thresholds
    "vae_blur": COMMON
    | {
        "78",
        "49",
        "40",
        "6,000",
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


def test_every_chapter_is_checked():
    """A new chapter joins ALLOWED with its constants (an empty set if it has none beyond COMMON)."""
    chapters = {p.stem for p in (ROOT / "book").glob("*.ipynb")}
    assert not chapters - set(ALLOWED), (
        f"chapters without an allow-list, so never scanned: {sorted(chapters - set(ALLOWED))}"
    )


def test_the_scan_sees_a_typed_number_and_ignores_glued_and_math_ones(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["FID fell to 52.4 in 2019; $x = 3.14$ and {glue:text}`fid:.1f`."]},
            {"cell_type": "markdown", "source": ["Checked for seeds 0–4 with `lr = 0.0002`, a margin of 5 %."]},
            {"cell_type": "markdown", "source": ["Near-copies are 4.7x as common; R1 every 16 steps."]},
            {"cell_type": "markdown", "source": ["**Exercise 5.1: Scores.** Expect 25 modes."]},
        ]
    }
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert typed_numbers(path) == [(0, "52.4"), (2, "4.7"), (2, "16"), (3, "25")]


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
