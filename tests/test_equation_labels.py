"""Every ``Eq. (label)`` that a gencore docstring or comment cites is a label that some chapter defines."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITE = re.compile(r"Eqs?\.\s*((?:\([\w-]+\)(?:,\s*|\s+and\s+)?)+)")


def book_labels() -> set[str]:
    labels = set()
    for nb in (ROOT / "book").glob("*.ipynb"):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                labels |= set(re.findall(r"\$\$\s*\(([\w-]+)\)", text))
                labels |= set(re.findall(r"^\(([\w-]+)\)=", text, re.M))
                labels |= set(re.findall(r":label:\s*([\w-]+)", text))
    return labels


def cited_labels() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for py in (ROOT / "gencore").rglob("*.py"):
        for m in CITE.finditer(py.read_text()):
            out.setdefault(str(py.relative_to(ROOT)), set()).update(re.findall(r"\(([\w-]+)\)", m.group(1)))
    return out


def test_every_cited_equation_label_exists_in_the_book():
    defined = book_labels()
    assert defined, "found no equation labels in book/*.ipynb"
    missing = {f: sorted(labels - defined) for f, labels in cited_labels().items() if labels - defined}
    assert not missing, f"gencore cites equation labels the book does not define: {missing}"
