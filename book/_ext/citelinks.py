"""Citations that read right in JupyterLab and in the HTML book, from one source.

jupyterlab-myst (2.7) has no bibliography: it shows a {cite:p}`key` role as the bare key,
marked "Citation Not Found". So a chapter writes each citation as a Markdown link to its
entry in ``references.bib``, with the author–year text that the HTML book shows::

    narrative      [Kingma and Welling (2014)](references.bib#kingma2014auto)
    parenthetical  ([Kingma and Welling, 2014](references.bib#kingma2014auto); [Qiu, 2020](references.bib#qiu2020nndl))

JupyterLab (and any Markdown viewer) shows the text; a click opens ``references.bib``. When
Sphinx reads a page, this extension turns the links back into sphinxcontrib-bibtex roles,
{cite:t}`kingma2014auto` and {cite:p}`kingma2014auto,qiu2020nndl`, so the HTML book's
citations, their hover titles and each chapter's bibliography are what the roles make.
``tools/lab_roles.py`` writes the links from the roles (:func:`roles_to_links`);
``tests/test_citations.py`` checks that every link's text is its entry's label.

A chapter's list of references works the same way. JupyterLab cannot run the
``{bibliography}`` directive, so the chapter holds the list itself, in Markdown, between
the markers :data:`REFS_OPEN` and :data:`REFS_CLOSE` (``tools/lab_roles.py`` writes it
from the chapter's citations with :func:`reference_list`, in the book's author–year
style); when Sphinx reads the page, the list is replaced by the directive, so the HTML
book's bibliography is what sphinxcontrib-bibtex makes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

BIB = "references.bib"
_LINK = r"\[([^\[\]]+)\]\(references\.bib#([A-Za-z0-9_:.-]+)\)"
LINK = re.compile(_LINK)
# "(" link ("; " link)* ")": one parenthetical citation of one or more entries.
GROUP = re.compile(rf"\((?:{_LINK})(?:;\s*(?:{_LINK}))*\)")
ROLE = re.compile(r"\{(cite(?::\w+)?)\}`([^`]*)`")
#: the markers around a chapter's Markdown list of references (hidden by Markdown viewers)
REFS_OPEN = (
    "<!-- references: written by tools/lab_roles.py from this chapter's citations, for JupyterLab; "
    "the HTML book shows its bibliography here -->"
)
REFS_CLOSE = "<!-- /references -->"
REFS = re.compile(re.escape(REFS_OPEN) + r".*?" + re.escape(REFS_CLOSE), re.S)
BIBLIOGRAPHY = "```{bibliography}\n:filter: docname in docnames\n```"


def links_to_roles(text: str) -> str:
    """Markdown with citation links -> the same Markdown with {cite:p} / {cite:t} roles, and a list of
    references between :data:`REFS_OPEN` and :data:`REFS_CLOSE` -> the ``{bibliography}`` directive."""
    text = REFS.sub(lambda _: BIBLIOGRAPHY, text)

    def group(m: re.Match) -> str:
        return "{cite:p}`" + ",".join(k for _, k in LINK.findall(m.group(0))) + "`"

    text = GROUP.sub(group, text)
    return LINK.sub(lambda m: "{cite:t}`" + m.group(2) + "`", text)


def roles_to_links(text: str, labels: dict[str, tuple[str, str]]) -> tuple[str, list[str]]:
    """{cite:p} / {cite:t} roles -> citation links, labelled from ``labels`` (key -> (authors, year)).

    The works of one parenthetical citation are listed as the HTML book lists them, by author
    and year. Returns the new text and the roles it left alone: another kind of role, an unknown key,
    or a pre- or post-note (``{see}key``), which a link cannot hold.
    """
    left: list[str] = []

    def role(m: re.Match) -> str:
        kind, keys = m.group(1), [k.strip() for k in m.group(2).split(",")]
        if kind not in ("cite:p", "cite:t") or any(k not in labels for k in keys):
            left.append(m.group(0))
            return m.group(0)
        if kind == "cite:p":  # in the order the HTML book lists them (authoryear's sorting)
            keys = sorted(keys, key=lambda k: (labels[k][0].lower(), labels[k][1]))
            return "(" + "; ".join(f"[{labels[k][0]}, {labels[k][1]}]({BIB}#{k})" for k in keys) + ")"
        return ", ".join(f"[{labels[k][0]} ({labels[k][1]})]({BIB}#{k})" for k in keys)

    return ROLE.sub(role, text), left


def link_label_problems(text: str, labels: dict[str, tuple[str, str]]) -> list[str]:
    """Citation links, in text order, whose key is not in the bibliography or whose text is not
    the entry's label: "Authors, Year" inside a parenthetical group, "Authors (Year)" outside."""
    in_group = {g.start() + m.start() for g in GROUP.finditer(text) for m in LINK.finditer(g.group(0))}
    problems = []
    for m in LINK.finditer(text):
        key, shown = m.group(2), " ".join(m.group(1).split())
        if key not in labels:
            problems.append(f"[{shown}]({BIB}#{key}): no such entry")
            continue
        authors, year = labels[key]
        want = f"{authors}, {year}" if m.start() in in_group else f"{authors} ({year})"
        if shown != want:
            problems.append(f"[{shown}]({BIB}#{key}): want [{want}]")
    return problems


def cited_keys(text: str) -> list[str]:
    """The keys of the citation links in ``text``, each once, in order of first citation."""
    return list(dict.fromkeys(k for _, k in LINK.findall(text)))


def reference_list(keys: list[str], path: Path) -> str:
    """The works of ``keys`` as the Markdown block that stands for a chapter's bibliography: a list in the
    HTML book's order and author–year style, "- [Kingma and Welling, 2014] Diederik P. Kingma and ...",
    between :data:`REFS_OPEN` and :data:`REFS_CLOSE`."""
    from pybtex.database import parse_file

    from authoryear import AuthorYearStyle

    bib = parse_file(str(path), "bibtex")
    entries = AuthorYearStyle().format_entries([bib.entries[k] for k in keys])
    items = [f"- [{e.label}] " + " ".join(e.text.render_as("markdown").split()) for e in entries]
    return "\n".join([REFS_OPEN, *items, REFS_CLOSE])


def bib_labels(path: Path) -> dict[str, tuple[str, str]]:
    """key -> (authors, year) of every entry, as the HTML book's citations show them."""
    from pybtex.database import parse_file

    from authoryear import _authors, _year  # book/_ext/authoryear.py: the same names and years

    return {key: (_authors(e), _year(e)) for key, e in parse_file(str(path), "bibtex").entries.items()}


def notebook_links_to_roles(source: str) -> str:
    """The text of an .ipynb with its Markdown cells' citation links turned into roles."""
    nb = json.loads(source)
    changed = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        new = links_to_roles(text)
        if new != text:
            cell["source"], changed = new, True
    return json.dumps(nb, ensure_ascii=False) if changed else source


def _source_read(app, docname: str, source: list[str]) -> None:
    if Path(str(app.env.doc2path(docname))).suffix == ".ipynb":
        source[0] = notebook_links_to_roles(source[0])
    else:
        source[0] = links_to_roles(source[0])


def setup(app):
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
