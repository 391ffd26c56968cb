"""Citations read right in JupyterLab and stay sphinxcontrib-bibtex citations in the HTML book.

A chapter cites by a Markdown link to the entry in ``book/references.bib``, labelled as the HTML
book labels it (``book/_ext/citelinks.py``); Sphinx reads the links as {cite:p} / {cite:t} roles.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
sys.path.insert(0, str(BOOK / "_ext"))
import citelinks  # noqa: E402

LABELS = citelinks.bib_labels(BOOK / "references.bib")


def _markdown(nb: Path) -> list[str]:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def test_links_become_the_roles_sphinx_reads():
    text = (
        "as [Qiu (2020)](references.bib#qiu2020nndl) says ([Kingma and Welling, 2014](references.bib#kingma2014auto); "
        "[Qiu, 2020](references.bib#qiu2020nndl)), not [this](https://example.org) "
        "(or ([Qiu, 2020](references.bib#qiu2020nndl)))."
    )
    assert citelinks.links_to_roles(text) == (
        "as {cite:t}`qiu2020nndl` says {cite:p}`kingma2014auto,qiu2020nndl`, not [this](https://example.org) "
        "(or {cite:p}`qiu2020nndl`)."
    )


def test_a_link_wrapped_over_two_lines_is_still_a_citation():
    text = "as [Kingma and\nWelling (2014)](references.bib#kingma2014auto) show"
    assert citelinks.links_to_roles(text) == "as {cite:t}`kingma2014auto` show"
    assert citelinks.link_label_problems(text, LABELS) == []


def test_roles_become_links_labelled_from_the_bibliography():
    text = "{cite:t}`kingma2014auto` and {cite:p}`kingma2014auto,qiu2020nndl`; {cite:p}`{see}qiu2020nndl`, {cite}`x`"
    links, left = citelinks.roles_to_links(text, LABELS)
    assert links.startswith(
        "[Kingma and Welling (2014)](references.bib#kingma2014auto) and "
        "([Kingma and Welling, 2014](references.bib#kingma2014auto); [Qiu, 2020](references.bib#qiu2020nndl));"
    )
    assert left == ["{cite:p}`{see}qiu2020nndl`", "{cite}`x`"]  # a pre-note and another role stay roles
    assert citelinks.links_to_roles(links) == text
    # the works of one citation in the HTML book's order, by author and year
    two, _ = citelinks.roles_to_links("{cite:p}`qiu2020nndl,kingma2014auto`", LABELS)
    assert two.index("kingma2014auto") < two.index("qiu2020nndl")


def test_the_check_sees_a_wrong_label_and_an_unknown_key():
    text = (
        "[Qiu (2021)](references.bib#qiu2020nndl), ([Qiu (2020)](references.bib#qiu2020nndl)), "
        "[X (1)](references.bib#nokey)"
    )
    problems = citelinks.link_label_problems(text, LABELS)
    assert len(problems) == 3
    assert "want [Qiu (2020)]" in problems[0] and "want [Qiu, 2020]" in problems[1] and "no such entry" in problems[2]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_every_citation_link_shows_its_entry(nb):
    """Each link's key is in references.bib and its text is the author-year label the HTML book shows."""
    problems = [p for text in _markdown(nb) for p in citelinks.link_label_problems(text, LABELS)]
    assert not problems, f"{nb.name}: run `python tools/lab_roles.py {nb.relative_to(ROOT)}`:\n" + "\n".join(problems)


def _unordered(text: str) -> str:
    """The text with the keys of each role sorted: the HTML book sorts the works of a citation."""
    return citelinks.ROLE.sub(lambda m: "{" + m.group(1) + "}`" + ",".join(sorted(m.group(2).split(","))) + "`", text)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_links_and_roles_convert_both_ways_without_loss(nb):
    """What Sphinx reads (links -> roles) and what the tool writes (roles -> links) undo each other."""
    for text in _markdown(nb):
        text = citelinks.REFS.sub("", text)  # the list of references is read one way: as the directive
        roles = citelinks.links_to_roles(text)
        links = citelinks.roles_to_links(text, LABELS)[0]
        assert citelinks.roles_to_links(roles, LABELS)[0] == links
        assert _unordered(citelinks.links_to_roles(links)) == _unordered(roles)


def test_a_notebook_is_read_with_roles(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["See ([Qiu, 2020](references.bib#qiu2020nndl))."]},
            {"cell_type": "code", "metadata": {}, "source": ["x = '[Qiu (2020)](references.bib#qiu2020nndl)'"]},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    read = json.loads(citelinks.notebook_links_to_roles(json.dumps(nb)))
    assert read["cells"][0]["source"] == "See {cite:p}`qiu2020nndl`."
    assert read["cells"][1]["source"] == nb["cells"][1]["source"]  # code is left alone


def test_the_book_loads_the_extension():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]
    assert config["local_extensions"].get("citelinks") == "book/_ext"
    assert "citelinks" in config["config"]["extensions"]


def test_a_chapters_list_of_references_is_read_as_its_bibliography():
    block = citelinks.reference_list(["qiu2020nndl", "kingma2014auto"], BOOK / "references.bib")
    lines = block.splitlines()
    assert lines[0] == citelinks.REFS_OPEN and lines[-1] == citelinks.REFS_CLOSE
    # the HTML book's order (author, year) and labels, one line per work
    assert [ln.split("]")[0] for ln in lines[1:-1]] == ["- [Kingma and Welling, 2014", "- [Qiu, 2020"]
    text = f"## References\n\n{block}"
    assert citelinks.links_to_roles(text) == f"## References\n\n{citelinks.BIBLIOGRAPHY}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_lists_the_works_it_cites(nb):
    text = "\n".join(_markdown(nb))
    blocks = citelinks.REFS.findall(text)
    assert len(blocks) == 1, f"{nb.name}: run `python tools/lab_roles.py {nb.relative_to(ROOT)}`"
    keys = citelinks.cited_keys(text)
    assert keys, f"{nb.name} cites nothing"
    items = blocks[0].splitlines()[1:-1]
    assert len(items) == len(keys)
    # labels as in the HTML list: two works of one author-year pair are told apart as 2019a, 2019b
    shown = {re.sub(r"(\d{4})[a-z]$", r"\1", item[3 : item.index("]")]) for item in items}
    assert shown == {"{}, {}".format(*LABELS[k]) for k in keys}
    assert "{bibliography}" not in text  # JupyterLab cannot run the directive: it would show nothing
