"""One citation style, author–year, in the text and in the lists.

Registers
- the pybtex formatting style ``authoryear`` (``bibtex_default_style``): the
  ``unsrt`` entry format, sorted by author, year and title, and labelled
  "Kingma and Welling, 2014" / "Goodfellow et al., 2014" instead of "KW14". An
  entry with no author (a source note) is labelled by its ``key`` field;
- the referencing style ``author_year_round`` (``bibtex_reference_style``):
  sphinxcontrib-bibtex's ``author_year`` with round brackets, "Qiu (2020)" and
  "(Kingma and Welling, 2014)".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle
from pybtex.style.template import field as bib_field
from pybtex.style.template import first_of, node, optional
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.template import names


def _surname(person) -> str:
    return " ".join(str(Text.from_latex(p)) for p in person.prelast_names + person.last_names)


def _authors(entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    if not people:
        return entry.fields.get("key", entry.key)
    if len(people) == 1:
        return _surname(people[0])
    if len(people) == 2:
        return f"{_surname(people[0])} and {_surname(people[1])}"
    return f"{_surname(people[0])} et al."


def _year(entry) -> str:
    return entry.fields.get("year", "n.d.")


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        labels = [f"{_authors(e)}, {_year(e)}" for e in sorted_entries]
        seen: dict[str, int] = {}
        for label in labels:  # "Karras et al., 2019a", "…2019b" when two entries share a label
            n = labels.count(label)
            if n == 1:
                yield label
            else:
                seen[label] = seen.get(label, 0) + 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]


class AuthorYearSorting(BaseSortingStyle):
    def sorting_key(self, entry):
        return (_authors(entry).lower(), _year(entry), entry.fields.get("title", "").lower())


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = AuthorYearSorting


def _round() -> BracketStyle:
    # "; " between the works of one citation: "(Goodfellow et al., 2014; Goodfellow, 2016)", as in
    # the chapters' sources (book/_ext/citelinks.py), not sphinxcontrib-bibtex's ambiguous ", ".
    return BracketStyle(left="(", right=")", sep="; ")


@node
def _author_or_editor_or_key(children, data, **kwargs):
    """Like sphinxcontrib-bibtex's author_or_editor_or_title, with the ``key`` field
    (a short name, as in the list's label) before the title."""
    assert not children
    return first_of[
        optional[names("author", **kwargs)],
        optional[names("editor", **kwargs)],
        optional[bib_field("key")],
        bib_field("title"),
    ].format_data(data)


@dataclass
class KeyPersonStyle(PersonStyle):
    def author_or_editor_or_title(self, full: bool):
        return _author_or_editor_or_key(
            sep=self.sep, sep2=self.sep2, last_sep=self.last_sep, other=None if full else self.other
        )


@dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    person: PersonStyle = field(default_factory=KeyPersonStyle)
    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    register_bibtex_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYearReferenceStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
