"""Reading dossiers back as an archivist does: the text of each page, and whether a page holds only a signature,
seal or date block (a signature line parted from the text it signs)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

# Lines that sign, seal or date: what must never stand on a page without the text they belong to.
_SIGNING = re.compile(
    r"签名|签字|按指印|（印）|签收|登记人|审查人|记录人|回访人|调查人|调委会主任|人民调解员（"
    r"|^\d{4}年\d{1,2}月\d{1,2}日$|^[　\s]*年[　\s]*月[　\s]*日$"
)
# Formulas that close a text but say nothing themselves.
_FORMULAS = ("特此告知。", "此致", "以上内容已告知，当事人已知悉。")
_PAGE_FOOT = re.compile(r"^(\d+|第 \d+ 页　共 \d+ 页)$")


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def content_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if line and not _PAGE_FOOT.match(line)]


def only_signing(text: str) -> bool:
    """Whether the page's text is nothing but signature, seal and date lines (and closing formulas)."""
    lines = content_lines(text)
    if not lines:
        return False  # a scan page, or blank
    return all(_SIGNING.search(line) or line in _FORMULAS for line in lines)


def lonely_pages(pdf: bytes, first: int = 0, last: int | None = None) -> list[tuple[int, str]]:
    """(page index, text) of every page in [first, last) holding only a signature, seal or date block."""
    texts = page_texts(pdf)
    return [(n, t) for n, t in enumerate(texts[first:last], start=first) if only_signing(t)]
