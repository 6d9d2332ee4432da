"""What a parsed query is: a small tree of conditions on document sets, evaluated by search/fast.py.

`Sub` is the one text condition: the (normalised) word occurs in a field's text. Its terms (search.text.word_terms)
narrow the candidates — exactly, when the word is itself one term; otherwise the stored text settles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from search.text import is_term, single, word_terms


@dataclass(frozen=True)
class Term:
    """An exact term of a keyword field (case-number parts, identity numbers, scope paths, facets)."""

    field: str
    text: str


@dataclass(frozen=True)
class Sub:
    """`text` (normalised) is a substring of the field's normalised text."""

    field: str
    text: str

    @cached_property
    def terms(self) -> tuple[str, ...]:
        return tuple(word_terms(self.text))

    @cached_property
    def prefix(self) -> str | None:
        """The CJK character to look up by prefix when the word has no other term (search.text.single)."""
        return single(self.text)

    @cached_property
    def exact(self) -> bool:
        """Whether the postings of its terms are the answer (no look at the text needed)."""
        return is_term(self.text)


@dataclass(frozen=True)
class Range:
    """A day (yyyymmdd) in [lo, hi]; None is open."""

    field: str
    lo: int | None
    hi: int | None


@dataclass(frozen=True)
class All:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Without:
    """`keep` and not `drop`."""

    keep: Node
    drop: Node


Node = Term | Sub | Range | All | AnyOf | Without
EVERYTHING = All(())
NOTHING = AnyOf(())


def all_of(items: list[Node]) -> Node:
    return items[0] if len(items) == 1 else All(tuple(items))


def any_of(items: list[Node]) -> Node:
    return items[0] if len(items) == 1 else AnyOf(tuple(items))
