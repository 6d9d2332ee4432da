"""Case numbers (案号): `（2026）峄人调字第017号` — year, the committee's prefix, its 字号, the sequence.

The prefix and the 字号 are each organisation's data (DOMAIN §3 [local]: 人调字 for most committees, 医调字 for a
medical committee, 交调字, 劳调字, 诉调字 for the court's centre, 访调字 for the petition bureau, 村调字 …). A new case
is numbered in its organisation's format; an imported number is kept exactly as written when it is well formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_WORD = "人调字"
_WIDE = str.maketrans("０１２３４５６７８９（）〔〕［］【】[]", "0123456789()()()()()")
_NUMBER = re.compile(r"^\((\d{4})\)\s*(\S*?)\s*第\s*(\d{1,6})\s*号$")
_WORD = re.compile(r"^[\u3400-\u9fff]{1,8}字$")


@dataclass(frozen=True)
class CaseNumber:
    year: int
    prefix: str
    word: str
    seq: int

    @property
    def text(self) -> str:
        return format_number(self.year, self.prefix, self.word, self.seq)


def format_number(year: int, prefix: str, word: str, seq: int) -> str:
    """The display form a new case gets: `（2026）峄人调字第017号`."""
    return f"（{year}）{prefix}{word or DEFAULT_WORD}第{seq:03d}号"


def prefix_of(org) -> str:  # noqa: ANN001 - an Organisation
    return org.number_prefix or org.short_name


def word_of(org) -> str:  # noqa: ANN001 - an Organisation
    return org.number_word or DEFAULT_WORD


def parse(text: str, *, words: tuple[str, ...] = ()) -> CaseNumber | None:
    """The parts of a well-formed number, or None.

    Well formed: the year in brackets (ASCII or full-width round brackets, 〔〕, 【】 or square brackets), a prefix, a
    字号 (`words` when one of them ends the part before 第; otherwise `…调字`, or any other `…字`), 第, the sequence
    (digits, ASCII or full-width), 号. The brackets, digits and spacing need not be this portal's own."""
    m = _NUMBER.match(text.strip().translate(_WIDE))
    if m is None:
        return None
    year, head, seq = int(m.group(1)), m.group(2), int(m.group(3))
    word = next((w for w in words if w and head.endswith(w)), None)
    if word is None:
        if head.endswith("调字") and len(head) >= 3:
            word = head[-3:]
        elif head.endswith("字") and len(head) >= 2:
            word = head[-2:]
        else:
            return None
    prefix = head[: len(head) - len(word)]
    if not 1949 < year < 2200 or seq < 1 or len(prefix) > 20 or not _WORD.match(word):
        return None
    return CaseNumber(year, prefix, word, seq)


def word_problem(word: str) -> str | None:
    """Why a 字号 cannot be used, in Chinese; None when it can."""
    if not _WORD.match(word) or len(word) > 10:
        return "字号为 2–9 个汉字，以“字”结尾，如“人调字”“医调字”“诉调字”。"
    return None
