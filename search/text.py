"""Chinese text analysis: one normalisation for index and query, CJK bigram and unigram tokenizers, jieba for queries.

DOMAIN §7: a CJK character-bigram field finds every substring (names inside names, 访调对接 inside
经访调对接中心, exact phrases); single characters need a unigram field; a compound typed without spaces
whose words are apart in the text needs jieba to split the *query*; synonyms are a query-time table.
Normalisation maps one character to one character, so token offsets are offsets in the original text
and highlights fall in the right place.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from whoosh.analysis import Token, Tokenizer

if TYPE_CHECKING:
    import jieba

# --- normalisation: traditional → simplified, full-width → half-width, case; always 1 char → 1 char ---------
_TABLE: dict[int, str] | None = None
_TABLE_LOCK = threading.Lock()


def _table() -> dict[int, str]:
    global _TABLE
    if _TABLE is None:
        with _TABLE_LOCK:
            if _TABLE is None:
                from zhconv import zhconv

                table: dict[int, str] = {}
                for src, dst in zhconv.getdict("zh-cn").items():
                    if len(src) == 1 and len(dst) == 1 and src != dst:
                        table[ord(src)] = dst
                for code in range(0xFF01, 0xFF5F):  # full-width ASCII
                    table[code] = chr(code - 0xFEE0)
                table[0x3000] = " "
                for code in range(ord("A"), ord("Z") + 1):
                    table[code] = chr(code + 32)
                for code in range(0xFF21, 0xFF3B):  # full-width capitals straight to lower case
                    table[code] = chr(code - 0xFEE0 + 32)
                _TABLE = table
    return _TABLE


def normalise(text: str) -> str:
    """Simplified, half-width, lower-case; the same length as `text`."""
    return text.translate(_table())


# Word characters: CJK ideographs (with 〇, extensions A–G and the compatibility block) and every other letter or digit
# (Latin, full-width already folded, …). A run is a maximal stretch of one of the two classes; anything else —
# spaces, punctuation, symbols — separates runs.
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
RUN = re.compile(f"[{_CJK}]+|(?:(?![{_CJK}])[^\\W_])+")
CJK_RUN = re.compile(f"^[{_CJK}]+$")
SUB_MAX = 8  # every substring of a Latin/digit run up to this length is a term


def runs(text: str) -> Iterator[tuple[str, int]]:
    """(run, start) for each CJK run and each Latin/digit run of normalised text."""
    for m in RUN.finditer(text):
        yield m.group(), m.start()


def is_cjk(run: str) -> bool:
    return bool(CJK_RUN.match(run))


def bigrams(run: str) -> list[str]:
    """Overlapping bigrams of a CJK run (the run itself when it is one character); Latin/digit runs whole."""
    if not is_cjk(run) or len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def terms(norm: str) -> set[str]:
    """The terms of normalised text: what a field indexes (ids only), so that every substring can be found.

    * a CJK run: each overlapping bigram and its last character alone — so the terms that begin with a character are
      there exactly when the character is (followed by another: a bigram; by a letter or digit: a join; else the
      character alone): a single character is the OR of its terms with that prefix (`single`); longer words are the
      AND of their bigrams;
    * a Latin/digit run: every substring of up to SUB_MAX characters (`800` inside `12800`, `x` inside `x光`);
    * where a CJK run and a Latin/digit run touch: the two characters across the join (`0元` in `12800元`, `第0` in
      `第017号`), so that a word mixing both is narrowed to the documents where its parts touch.
    """
    out: set[str] = set()
    add, update = out.add, out.update
    prev, prev_end = "", -1
    for m in RUN.finditer(norm):
        run, start = m.group(), m.start()
        n = len(run)
        if CJK_RUN.match(run):
            update(run[i : i + 2] for i in range(n - 1))
            add(run[-1])
        else:
            update(run[i:j] for i in range(n) for j in range(i + 1, min(n, i + SUB_MAX) + 1))
        if start == prev_end:
            add(prev[-1] + run[0])
        prev, prev_end = run, m.end()
    return out


def word_terms(norm: str) -> list[str]:
    """Terms every text containing the normalised `norm` has (candidates; the text itself settles the match). A CJK
    character alone in the word is left out (it is not one term: see `single`)."""
    out: list[str] = []
    prev, prev_end = "", -1
    for run, start in runs(norm):
        n = len(run)
        if is_cjk(run):
            out += [run[i : i + 2] for i in range(n - 1)]
        else:
            out += [run] if n <= SUB_MAX else [run[i : i + SUB_MAX] for i in range(n - SUB_MAX + 1)]
        if start == prev_end:
            out.append(prev[-1] + run[0])
        prev, prev_end = run, start + n
    return list(dict.fromkeys(out))


def single(norm: str) -> str | None:
    """The CJK character standing alone in a word that has no other term (`元`, `（元）`), looked up by prefix."""
    if word_terms(norm):
        return None
    return next((run for run, _start in runs(norm) if is_cjk(run)), None)


def is_term(norm: str) -> bool:
    """Whether the normalised word alone settles its match: a CJK character (by prefix) or bigram, or a Latin/digit
    run of up to SUB_MAX characters."""
    m = RUN.fullmatch(norm)
    return m is not None and (len(norm) <= 2 if is_cjk(norm) else len(norm) <= SUB_MAX)


class WordsTokenizer(Tokenizer):
    """`terms` as Whoosh tokens (no positions): for what reads a field's analyzer (similar cases' key terms)."""

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(  # noqa: ARG002 - Whoosh's tokenizer signature
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text in sorted(terms(normalise(value))):
            t.text, t.boost, t.stopped = text, 1.0, False
            yield t


# --- jieba: loaded once per process, only to split queries --------------------------------------------
DOMAIN_WORDS = [
    "调委会",
    "访调对接",
    "诉调对接",
    "公调对接",
    "检调对接",
    "宅基地",
    "司法确认",
    "人调字",
    "矛调中心",
    "人民调解",
    "调解协议",
    "协议书",
    "回访",
    "网格员",
    "拖欠工资",
    "农民工工资",
    "劳动争议",
    "物业费",
    "交通事故",
    "医疗纠纷",
    "征地拆迁",
    "土地承包",
    "不予受理",
    "口头协议",
    "四联单",
    "履行",
    "结案",
    "立卷",
    "归档",
    "卷宗",
    "欠薪",
]
_jieba: jieba.Tokenizer | None = None
_jieba_lock = threading.Lock()
_base_total = 0  # jieba's dictionary total with the domain words, before any names
_overlay: dict[
    str, int | None
] = {}  # what the names changed in the dictionary: entry → its value before (None: absent)
_names: frozenset[str] = frozenset()  # the place and organisation names in the dictionary now


def set_words(words: Iterable[str]) -> bool:
    """Make the place and organisation names (from the portal) exactly `words` in the query dictionary.

    The dictionary is the base one plus these names and nothing else — never what an earlier call added — so every
    process given the same names splits every query the same way (a name added by one process only gave different
    answers from different server workers). Returns whether anything changed."""
    global _names
    new = frozenset(normalise(w) for w in words if w and len(w) >= 2)
    with _jieba_lock:
        if new == _names:
            return False
        _names = new
        if _jieba is not None:
            _load_names(_jieba)
    return True


def add_words(words: Iterable[str]) -> None:
    """Names that join those already in the dictionary (tests and tools; the portal sets the whole list)."""
    set_words(_names | {normalise(w) for w in words})


def _load_names(tok: jieba.Tokenizer) -> None:  # under _jieba_lock
    """Back to the base dictionary exactly (undoing the previous names), then these names."""
    freq = tok.FREQ
    for entry, before in _overlay.items():
        if before is None:
            freq.pop(entry, None)
        else:
            freq[entry] = before
    _overlay.clear()
    tok.total = _base_total
    for w in sorted(_names):
        for i in range(1, len(w) + 1):  # the word and its prefixes, which jieba adds with frequency 0
            if w[:i] not in _overlay:
                _overlay[w[:i]] = freq.get(w[:i])
        tok.add_word(w, freq=50000)


def _tokenizer() -> jieba.Tokenizer:
    global _jieba, _base_total
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for w in sorted({normalise(w) for w in DOMAIN_WORDS}):
                    tok.add_word(w, freq=50000)
                _base_total = tok.total
                if _names:
                    _load_names(tok)
                _jieba = tok
    return _jieba


def split_words(run: str) -> list[str]:
    """jieba's words of a normalised CJK run."""
    tok = _tokenizer()
    with _jieba_lock:  # not while set_words swaps the dictionary
        return [w for w in tok.lcut(run, HMM=False) if w.strip()]


def warm_up() -> None:
    """Load the jieba dictionary now (≈ 0.7 s) rather than on the first query."""
    _tokenizer()
    _table()


# Query-time synonyms: neither is a substring of the other, so no analyzer finds one from the other.
SYNONYMS: list[tuple[str, ...]] = [
    ("欠薪", "拖欠工资", "欠工资", "拖欠农民工工资", "工资拖欠"),
    ("离婚", "解除婚姻"),
    ("车祸", "交通事故"),
    ("医闹", "医疗纠纷", "医患纠纷"),
    ("拆迁", "征收"),
    ("物业费", "物业服务费"),
    ("赡养", "养老"),
    ("工伤", "工作中受伤"),
]
_SYN: dict[str, tuple[str, ...]] = {}
for _group in SYNONYMS:
    for _w in _group:
        _SYN[_w] = _group


def synonyms(word: str) -> tuple[str, ...]:
    """The word and its synonyms (just the word when it has none)."""
    return _SYN.get(word, (word,))
