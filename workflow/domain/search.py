"""What the case list's text filter looks in, and how a text is folded for it.

A case's search text is its title and the names on its candidate lists (forms and tallies),
NFC and case-folded; beside it is kept its fold without diacritics (NFD, combining marks
dropped, đ → d). A needle is folded the same way and looked up in the fold, so 'nguyen' finds
'Nguyễn' and 'Nguyên' and 'duy xuyen' finds 'Duy Xuyên'; a needle written with diacritics must
also match them exactly, so 'Nguyễn' does not find 'Nguyên'."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterable

from . import parse

SEPARATOR = "\n"      # between the title and each name: no needle on one line spans two of them


def accented(s: str) -> str:
    """NFC, case-folded ('NGUYỄN' -> 'nguyễn')."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", s).casefold())


def fold(s: str) -> str:
    """Case-folded and without diacritics ('Nguyễn Đức' -> 'nguyen duc')."""
    bare = "".join(c for c in unicodedata.normalize("NFD", accented(s)) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.replace("đ", "d"))


def names_in(records: Iterable[tuple[str, str, dict]]) -> list[str]:
    """Every name on a candidate list among (step, kind, payload) records: the lists of names a
    form holds (a 'candidates' field is the only kind of field that holds a list) and the names
    a tally counts, each once, in the order first met."""
    names: dict[str, None] = {}
    for _, kind, payload in records:
        if kind == "form":
            for v in payload.values():
                if isinstance(v, list):
                    names.update((n, None) for n in v if isinstance(n, str))
        elif kind == "tally":
            names.update((n, None) for n in (payload.get("candidates") or {}))
    return list(names)


def search_text(title: str, names: Iterable[str] = ()) -> str:
    """A case's search text (stored; its fold is stored beside it)."""
    return accented(SEPARATOR.join([title, *names]))


@dataclass(frozen=True)
class Needle:
    """What a person typed, ready to look up: its fold, and its accented form when it has
    diacritics (which must then match exactly)."""
    folded: str
    exact: str | None

    @classmethod
    def of(cls, typed: str) -> "Needle":
        a = accented(parse.text(typed))
        f = fold(a)
        return cls(f, a if a != f else None)

    def finds(self, search: str) -> bool:
        """The rule itself, on a search text: the oracle the databases' answers are tested against."""
        return self.folded in fold(search) and (self.exact is None or self.exact in search)
