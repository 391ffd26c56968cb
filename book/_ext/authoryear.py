"""Bibliography lists labelled author–year, like the citations in the text.

Registers the pybtex formatting style ``authoryear`` (``bibtex_default_style``):
the ``unsrt`` entry format, sorted by author, year and title, and labelled
"Kingma and Welling, 2014" / "Goodfellow et al., 2014" instead of "[KW14]".
An entry with no author (a source note) is labelled by its ``key`` field.
"""

from __future__ import annotations

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle
from pybtex.richtext import Text


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


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
