"""Snippets: the best window of a stored text, HTML-escaped, with only <mark> added.

Done here rather than by Whoosh's highlighter: normalisation keeps offsets, so matches are found by
plain string search in the normalised text, for the shown page only, and a dossier hit knows its page.
"""

from __future__ import annotations

from html import escape

from search.text import normalise

WINDOW = 90
PAGE_BREAK = "\f"


def _spans(norm: str, terms: set[str]) -> list[tuple[int, int]]:
    spans = []
    for term in terms:
        if not term:
            continue
        start = norm.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = norm.find(term, start + 1)
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def marked(text: str, terms: set[str]) -> str:
    """All of `text`, escaped, every match marked (for short fields: title, names)."""
    return _render(text, 0, len(text), _spans(normalise(text), terms))


def _render(text: str, lo: int, hi: int, spans: list[tuple[int, int]]) -> str:
    out, pos = [], lo
    for s, e in spans:
        s, e = max(s, lo), min(e, hi)
        if e <= lo or s >= hi:
            continue
        out.append(escape(text[pos:s], quote=False))
        out.append(f"<mark>{escape(text[s:e], quote=False)}</mark>")
        pos = e
    out.append(escape(text[pos:hi], quote=False))
    return "".join(out).replace(PAGE_BREAK, " ")


def best_window(text: str, terms: set[str], width: int = WINDOW) -> tuple[str, int] | None:
    """(snippet html, offset of its first match) of the window with the most distinct matches; None without a match."""
    norm = normalise(text)
    spans = _spans(norm, terms)
    if not spans:
        return None
    best, best_score = 0, -1
    for i, (s, _) in enumerate(spans):
        window = [x for x in spans[i:] if x[1] <= s + width]
        score = len({norm[a:b] for a, b in window}) * 10 + len(window)
        if score > best_score:
            best, best_score = i, score
    first = spans[best][0]
    lo = max(0, first - 20)
    # start at a sentence or page boundary when one is close
    for j in range(first - 1, lo - 1, -1):
        if text[j] in "。；！？\n" + PAGE_BREAK:
            lo = j + 1
            break
    hi = min(len(text), lo + width)
    html = ("…" if lo > 0 else "") + _render(text, lo, hi, spans).strip() + ("…" if hi < len(text) else "")
    return html, first


def page_of(text: str, offset: int) -> int:
    """The 1-based page of an offset in pages joined by PAGE_BREAK."""
    return text.count(PAGE_BREAK, 0, offset) + 1
