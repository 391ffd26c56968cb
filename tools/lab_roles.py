"""Make chapters read right in JupyterLab as in the HTML book (issue 24).

Usage: python tools/lab_roles.py book/NAME.ipynb [...] [--move-prose] [--check]

For each notebook it
- sets the kernel display name to "Python 3 (gencore)" (the kernel `make setup` registers);
- asks myst-nb to execute it inline (`mystnb.execution_mode: inline` in the notebook's
  metadata), which the `{eval}` role needs in the HTML build;
- moves `import gencore` to the top of the first code cell, so that gencore's CPU
  threading default (OMP_WAIT_POLICY=PASSIVE) is set before torch loads;
- rewrites `{glue:text}`key:spec`` (and `{glue}`key``) to `{eval}`key``, and each
  `glue("key", value, display=False)` call with a literal key to `key = format(value, "spec")`,
  a string that both myst-nb's `{eval}` and jupyterlab-myst show as it is;
- rewrites each citation role, {cite:p}`a,b` and {cite:t}`a`, as Markdown links to the entries of
  book/references.bib labelled author–year, "([Kingma and Welling, 2014](references.bib#kingma2014auto))"
  and "[Qiu (2020)](references.bib#qiu2020nndl)": jupyterlab-myst has no bibliography and shows
  a role as its bare key; the book's Sphinx extension book/_ext/citelinks.py turns the links back
  into the roles, so the HTML book's citations are unchanged;
- writes the chapter's list of references, in Markdown, where its `{bibliography}` directive was
  (or refreshes the list): JupyterLab cannot run the directive, and citelinks.py puts it back.

`{eval}` reads the kernel's state when the Markdown cell is reached, so each variable must be
assigned in a code cell *before* the cell that shows it. The script prints every place where
that is not so, and every glue call it could not rewrite (a computed key); fix those by hand.
With --move-prose, a Markdown cell whose numbers are all computed by the next code cell is
moved below that cell (read the result: the prose then follows its check). With --check it
changes nothing and exits 1 if anything is left to do.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROLE = re.compile(r"\{glue(?::text)?\}`([A-Za-z_]\w*)(?::([^`]*))?`")
EVAL = re.compile(r"\{eval\}`([^`]+)`")
GLUE_CALL = re.compile(r"""glue\(\s*["']([A-Za-z_]\w*)["']\s*,\s*(.+?)\s*,\s*display\s*=\s*False\s*,?\s*\)""", re.S)
KERNEL = {"display_name": "Python 3 (gencore)", "language": "python", "name": "python3"}
BOOK = Path(__file__).resolve().parent.parent / "book"
sys.path.insert(0, str(BOOK / "_ext"))
import citelinks  # noqa: E402  (book/_ext/citelinks.py: the link form of a citation)

_LABELS: dict[str, tuple[str, str]] = {}


def _labels() -> dict[str, tuple[str, str]]:
    if not _LABELS:
        _LABELS.update(citelinks.bib_labels(BOOK / "references.bib"))
    return _LABELS


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _set(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def _reference_block(cells: list[dict]) -> str:
    """The Markdown list of the works the chapter's Markdown cells cite, between citelinks' markers."""
    text = "\n".join(_src(c) for c in cells if c["cell_type"] == "markdown")
    return citelinks.reference_list(citelinks.cited_keys(text), BOOK / "references.bib")


def _assigned(text: str) -> set[str]:
    """Names a code cell assigns at the start of a line: `a = ...`, `a, b = ...`."""
    names = set()
    for targets in re.findall(r"^\s*([A-Za-z_][\w, ]*?)\s*=[^=]", text, re.M):
        names |= {t.strip() for t in targets.split(",") if t.strip()}
    return names


def _move_prose(cells: list[dict]) -> list[str]:
    """Move each Markdown cell whose {eval} names are first assigned by the next code cell below it."""
    moved, i = [], 0
    while i < len(cells):
        cell = cells[i]
        if cell["cell_type"] == "markdown":
            before = set().union(*[_assigned(_src(c)) for c in cells[:i] if c["cell_type"] == "code"])
            names = {re.match(r"[A-Za-z_]\w*", e).group(0) for e in EVAL.findall(_src(cell))} - before
            nxt = next((j for j in range(i + 1, len(cells)) if cells[j]["cell_type"] == "code"), None)
            if names and nxt is not None and names <= _assigned(_src(cells[nxt])):
                cells.insert(nxt, cells.pop(i))  # everything between moves up by one
                moved.append(repr(_src(cell)[:50]))
                continue
        i += 1
    return moved


def convert(path: Path, check: bool = False, move_prose: bool = False) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    problems: list[str] = []
    specs: dict[str, str] = {}
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for key, spec in ROLE.findall(_src(cell)):
                if specs.setdefault(key, spec or "") != (spec or ""):
                    problems.append(f"{path.name}: glue key {key!r} is shown with two formats; split it by hand")
    if not check:
        nb["metadata"]["kernelspec"] = dict(KERNEL)
        nb["metadata"].setdefault("mystnb", {})["execution_mode"] = "inline"
        for cell in cells:
            text = _src(cell)
            if cell["cell_type"] == "markdown":
                text = ROLE.sub(lambda m: "{eval}`" + m.group(1) + "`", text)
                # links are rewritten too: each then shows its entry's label, in the HTML book's order
                text, _ = citelinks.roles_to_links(citelinks.links_to_roles(text), _labels())
            elif cell["cell_type"] == "code":
                text = GLUE_CALL.sub(
                    lambda m: f'{m.group(1)} = format({m.group(2)}, "{specs.get(m.group(1), "")}")', text
                )
            _set(cell, text)
        refs = _reference_block(cells)
        for cell in cells:
            if cell["cell_type"] == "markdown" and citelinks.BIBLIOGRAPHY in _src(cell):
                _set(cell, _src(cell).replace(citelinks.BIBLIOGRAPHY, refs))
        code = [c for c in cells if c["cell_type"] == "code"]
        if code:
            mine = [ln for ln in _src(code[0]).splitlines() if ln.split("#")[0].strip() == "import gencore"]
            lines = [ln for ln in _src(code[0]).splitlines() if ln.split("#")[0].strip() != "import gencore"]
            if not any(re.search(r"\bglue\(", _src(c)) for c in code):
                lines = [ln for ln in lines if ln.strip() != "from myst_nb import glue"]
            first = mine[0] if mine else "import gencore  # first: it sets a CPU threading default before torch loads"
            _set(code[0], "\n".join([first, *lines]).rstrip("\n"))
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if move_prose:
            moved = _move_prose(cells)
            problems += [
                f"{path.name}: moved the Markdown cell {m} below the code cell that computes its numbers" for m in moved
            ]
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    # what is left to do by hand
    defined: set[str] = set()
    for i, cell in enumerate(cells):
        text = _src(cell)
        if cell["cell_type"] == "code":
            defined |= _assigned(text)
            if re.search(r"\bglue\(", text):
                problems.append(f"{path.name} cell {i}: a glue(...) call left (computed key?)")
        else:
            for m in ROLE.finditer(text):
                problems.append(f"{path.name} cell {i}: {m.group(0)} not converted")
            for m in citelinks.ROLE.finditer(text):
                problems.append(f"{path.name} cell {i}: citation role {m.group(0)} (JupyterLab shows its bare key)")
            for p in citelinks.link_label_problems(text, _labels()):
                problems.append(f"{path.name} cell {i}: citation link {p}")
            for expr in EVAL.findall(text):
                name = re.match(r"[A-Za-z_]\w*", expr)
                if name and name.group(0) not in defined:
                    problems.append(f"{path.name} cell {i}: {{eval}}`{expr}` shown before any code cell assigns it")
    lists = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and citelinks.REFS.search(_src(c))]
    refs = _reference_block(cells)
    for i in lists:
        if citelinks.REFS.search(_src(cells[i])).group(0) != refs:
            problems.append(f"{path.name} cell {i}: the list of references is not the chapter's citations")
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and "{bibliography}" in _src(cell):
            problems.append(f"{path.name} cell {i}: a bibliography directive (JupyterLab shows nothing there)")
    if nb["metadata"].get("kernelspec", {}).get("display_name") != KERNEL["display_name"]:
        problems.append(f"{path.name}: kernel display name is not {KERNEL['display_name']!r}")
    return problems


def main(argv: list[str]) -> int:
    check, move = "--check" in argv, "--move-prose" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")]
    if not paths:
        print(__doc__)
        return 2
    problems = [p for path in paths for p in convert(path, check=check, move_prose=move)]
    print("\n".join(problems) or "nothing left to do by hand")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
