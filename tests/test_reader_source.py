"""What a student reads, checked in the chapters' sources without running them.

- no equation reference typed by hand: "Eq. (spread)" or "(sg-demod)" in prose or a code
  comment is a label the reader cannot follow; write {eq}`label` in Markdown (it becomes
  "(13.2)" in the book and in JupyterLab) and the number, "Eq. (13.2)", in a code comment;
- every chapter reads right in JupyterLab as in the HTML book (tools/lab_roles.py): numbers
  by {eval}, never {glue:text} (jupyterlab-myst cannot show glue), each {eval} variable
  assigned in a code cell above the text that shows it, the notebook executed inline by
  myst-nb, the kernel called "Python 3 (gencore)", and `import gencore` before torch;
  citations as links to references.bib labelled author-year, never {cite} roles, which
  jupyterlab-myst shows as bare keys (tests/test_citations.py checks the labels);
- no rendered {eval} results (jupyterlab-myst's `user_expressions`) committed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
PAGES = sorted(BOOK.glob("*.md"))
sys.path.insert(0, str(ROOT / "tools"))
import lab_roles  # noqa: E402

# "Eq. (spread)", "Eqs. (mc-rkl)", "eq. (ot-aeot)": a label typed as text. "Eq. (13.4)" is fine.
TYPED_EQ = re.compile(r"\bEqs?\.\s*\((?![\d.,\s–-]+\))[^)\n]{1,40}\)", re.IGNORECASE)
# A label on its own in parentheses, "(sg-demod)", outside MyST's `$$ ... $$ (label)` syntax.
BARE_LABEL = re.compile(r"(?<![$`\w])\((?:[a-z0-9]+-)+[a-z0-9]+\)(?!=)")


# Chapters other branches were editing when the citations became links (issue 24): after merging
# them, run `python tools/lab_roles.py book/NAME.ipynb` on each and empty this set.
CITATION_ROLES_UNTIL_MERGED: set[str] = set()


def _cells(nb: Path) -> list[dict]:
    return json.loads(nb.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _labels(nb: Path) -> set[str]:
    text = "\n".join(_source(c) for c in _cells(nb) if c["cell_type"] == "markdown")
    return set(re.findall(r"\$\$\s*\(([\w-]+)\)", text)) | set(re.findall(r"^\(([\w-]+)\)=", text, re.M))


def _typed_refs(text: str, labels: set[str]) -> list[str]:
    # MyST syntax is not prose: drop roles, `$$ (label)` lines, targets and inline code.
    prose = re.sub(r"\{\w+(?::\w+)?\}`[^`]*`", "", text)
    prose = re.sub(r"\$\$\s*\([\w-]+\)", "$$", prose)
    prose = re.sub(r"^\([\w-]+\)=\s*$", "", prose, flags=re.M)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    hits = [m.group(0) for m in TYPED_EQ.finditer(prose)]
    hits += [m.group(0) for m in BARE_LABEL.finditer(prose) if m.group(0)[1:-1] in labels]
    return hits


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_no_equation_reference_typed_by_hand(nb):
    labels = _labels(nb)
    hits = [
        f"cell {i} ({cell['cell_type']}): {hit}"
        for i, cell in enumerate(_cells(nb))
        for hit in _typed_refs(_source(cell), labels)
    ]
    assert not hits, f"{nb.name}: equation references the reader cannot follow:\n" + "\n".join(hits)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_equation_reference_typed_by_hand_in_pages(page):
    hits = _typed_refs(page.read_text(encoding="utf-8"), set())
    assert not hits, f"{page.name}: equation references the reader cannot follow: {hits}"


def test_the_check_sees_typed_references():
    labels = {"sg-demod", "vae-elbo"}
    text = "as Eq. (spread) says; see (sg-demod) and Eq. (13.4), {eq}`vae-elbo`\n$$\nx\n$$ (vae-elbo)\n"
    assert _typed_refs(text, labels) == ["Eq. (spread)", "(sg-demod)"]


# Chapters being rewritten in other branches: converted with `python tools/lab_roles.py
# --move-prose book/NAME.ipynb` (and the few fixes it lists) when they land. Strict: remove
# a name as soon as its chapter passes.
LAB_PENDING: set[str] = set()


@pytest.mark.parametrize(
    "nb",
    [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="not yet converted"))
        if p.name in LAB_PENDING
        else p
        for p in NOTEBOOKS
    ],
    ids=lambda p: p.name,
)
def test_reads_right_in_jupyterlab(nb):
    problems = lab_roles.convert(nb, check=True)
    if nb.name in CITATION_ROLES_UNTIL_MERGED:
        problems = [p for p in problems if "citation role" not in p]
    meta = json.loads(nb.read_text(encoding="utf-8"))["metadata"]
    if any("{eval}" in _source(c) for c in _cells(nb)) and meta.get("mystnb", {}).get("execution_mode") != "inline":
        problems.append(f"{nb.name}: uses {{eval}} but is not executed inline (mystnb.execution_mode)")
    first = next((_source(c) for c in _cells(nb) if c["cell_type"] == "code"), "")
    if not first.startswith("import gencore"):
        problems.append(f"{nb.name}: the first code cell does not start with `import gencore`")
    assert not problems, "run `python tools/lab_roles.py` on it, then fix by hand:\n" + "\n".join(problems)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_no_rendered_eval_results_committed(nb):
    dirty = [i for i, c in enumerate(_cells(nb)) if "user_expressions" in c.get("metadata", {})]
    assert not dirty, f"{nb.name}: cells {dirty} carry jupyterlab-myst's user_expressions; clear them"


# Chapters being rewritten in other branches; each gets its captions there (strict: remove the
# name when it passes).
CAPTIONS_PENDING: set[str] = set()
FIGURE_CELL = re.compile(r"plt\.show\(\)|image_grid\(")


@pytest.mark.parametrize(
    "nb",
    [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="captions pending"))
        if p.name in CAPTIONS_PENDING
        else p
        for p in NOTEBOOKS
    ],
    ids=lambda p: p.name,
)
def test_figures_have_captions(nb):
    """Every cell that draws a figure has a caption (and so a number) and an alt text."""
    missing = [
        i
        for i, c in enumerate(_cells(nb))
        if c["cell_type"] == "code"
        and FIGURE_CELL.search(_source(c))
        and "widgets." not in _source(c)
        and not (
            c["metadata"].get("mystnb", {}).get("figure", {}).get("caption")
            and c["metadata"].get("mystnb", {}).get("image", {}).get("alt")
        )
    ]
    assert not missing, f"{nb.name}: figure cells {missing} lack mystnb.figure.caption or mystnb.image.alt"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_marker_colours_match_the_words(nb):
    """gencore.viz.scatter2d draws a mixture's means as open red rings: captions must not call them crosses."""
    wrong = []
    for i, c in enumerate(_cells(nb)):
        words = _source(c) + json.dumps(c.get("metadata", {}), ensure_ascii=False)
        if c["cell_type"] == "code" and "means=" in _source(c) and re.search(r"\bcross(es)?\b", words):
            wrong.append(i)
    assert not wrong, f"{nb.name}: cells {wrong} draw open red rings for the means but describe them otherwise"


# The StyleGAN and SeFa chapters, rewritten in another branch, get their objectives, exercises
# and summary with the rewrite (strict: remove the name when it passes).
CONVENTIONS_PENDING: set[str] = set()
EXERCISE = re.compile(r"^\*\*Exercise (\d+)\.(\d+):", re.M)


def _chapter_numbers() -> dict[str, int]:
    """Each chapter's number in the sidebar: its place among the numbered chapters of _toc.yml."""
    files = re.findall(r"^\s*- file: book/(\w+)\s*$", (ROOT / "_toc.yml").read_text(encoding="utf-8"), re.M)
    numbered = [f for f in files if (BOOK / f"{f}.ipynb").exists()]
    return {f"{name}.ipynb": i for i, name in enumerate(numbered, start=1)}


@pytest.mark.parametrize(
    "nb",
    [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="rewritten in another branch"))
        if p.name in CONVENTIONS_PENDING
        else p
        for p in NOTEBOOKS
    ],
    ids=lambda p: p.name,
)
def test_chapter_has_objectives_exercises_and_summary(nb):
    """Learning objectives at the top; at least two exercises, numbered as the chapter, each
    followed by a hidden solution cell that asserts its expected outcome; a summary at the end."""
    cells = _cells(nb)
    number = _chapter_numbers().get(nb.name)
    assert number, f"{nb.name} is not a chapter of _toc.yml"
    problems = []
    if not any(":::{admonition} In this chapter you will" in _source(c) for c in cells[:3]):
        problems.append("no 'In this chapter you will' admonition in its first cells")
    exercises = [
        (i, m) for i, c in enumerate(cells) if c["cell_type"] == "markdown" for m in EXERCISE.finditer(_source(c))
    ]
    if len(exercises) < 2:
        problems.append(f"{len(exercises)} exercises, at least 2 expected")
    for i, m in exercises:
        if int(m.group(1)) != number:
            problems.append(f"cell {i}: Exercise {m.group(1)}.{m.group(2)} in chapter {number}")
        if "*Expected outcome:*" not in _source(cells[i]):
            problems.append(f"cell {i}: the exercise states no expected outcome")
        solution = cells[i + 1] if i + 1 < len(cells) else {}
        meta = solution.get("metadata", {})
        if not (
            solution.get("cell_type") == "code"
            and "assert " in _source(solution)
            and "hide-input" in meta.get("tags", [])
            and meta.get("jupyter", {}).get("source_hidden")
        ):
            problems.append(f"cell {i}: not followed by a hidden solution cell that asserts the outcome")
    if not any(_source(c).startswith("## Summary") for c in cells):
        problems.append("no '## Summary' section")
    assert not problems, f"{nb.name}: " + "; ".join(problems)
