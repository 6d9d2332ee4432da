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

from whoosh.analysis import Token, Tokenizer

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


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
RUN = re.compile(f"[{_CJK}]+|[0-9a-z]+(?:[.-][0-9a-z]+)*")
CJK_RUN = re.compile(f"^[{_CJK}]+$")


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


class _CJKTokenizer(Tokenizer):
    """Tokens with consecutive positions (phrases work) and character offsets into the original text."""

    unigram = False

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,  # noqa: ANN001, ANN204
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for run, start in runs(normalise(value)):
            if is_cjk(run) and (self.unigram or len(run) > 1):
                step = 1 if self.unigram else 2
                pieces = [(run[i : i + step], i) for i in range(len(run) - step + 1)]
                if step == 2:  # the last character alone, so that a prefix query finds any single character of a field
                    pieces.append((run[-1], len(run) - 1))
            else:
                pieces = [(run, 0)]
            for piece, offset in pieces:
                t.text = piece
                t.boost = 1.0
                t.stopped = False
                if keeporiginal:
                    t.original = piece
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start_char + start + offset
                    t.endchar = t.startchar + len(piece)
                pos += 1
                yield t
            pos += 1  # a gap between runs: a phrase never spans punctuation


class BigramTokenizer(_CJKTokenizer):
    unigram = False


class UnigramTokenizer(_CJKTokenizer):
    unigram = True


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
_jieba = None
_jieba_lock = threading.Lock()
_extra_words: set[str] = set()


def add_words(words: Iterable[str]) -> None:
    """Place and organisation names (from the portal) join the query dictionary."""
    new = {normalise(w) for w in words if w and len(w) >= 2} - _extra_words
    _extra_words.update(new)
    if _jieba is not None:
        for w in new:
            _jieba.add_word(w, freq=50000)


def _tokenizer():  # noqa: ANN202
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for w in [*DOMAIN_WORDS, *_extra_words]:
                    tok.add_word(normalise(w), freq=50000)
                _jieba = tok
    return _jieba


def split_words(run: str) -> list[str]:
    """jieba's words of a normalised CJK run."""
    return [w for w in _tokenizer().lcut(run, HMM=False) if w.strip()]


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
