"""A forgiving query language, read by hand so that no input can raise.

words (all must match) · "exact phrase" · a OR b · -exclude · 当事人:张三 案号:017 类型:物业 调解员:王 机构:城关
状态:调解中 证件:370… · 日期:2024 / 日期:2024-03 / 日期:2024-01-01..2024-06-30 (also 受理: and 结案:).
Anything it cannot read as written is searched as plain words, and the notes say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from search import numbers
from search.nodes import EVERYTHING, NOTHING, All, AnyOf, Node, Range, Sub, Term, Without, all_of, any_of
from search.schema import MATCH_FIELDS, TEXT_FIELDS
from search.text import is_cjk, normalise, runs, split_words, synonyms

MAX_QUERY = 200  # characters read; the rest is ignored (and the notes say so)
MAX_TERMS = 12

FIELD_ALIASES = {
    "当事人": "parties",
    "party": "parties",
    "姓名": "parties",
    "案号": "number",
    "number": "number",
    "类型": "types",
    "type": "types",
    "纠纷类型": "types",
    "调解员": "mediators",
    "mediator": "mediators",
    "机构": "orgs",
    "org": "orgs",
    "调委会": "orgs",
    "状态": "labels",
    "渠道": "labels",
    "来源": "labels",
    "结果": "labels",
    "标题": "title",
    "案件名称": "title",
    "title": "title",
    "卷宗": "dossier",
    "内容": "body",
    "记录": "body",
    "证件": "idnums",
    "身份证": "idnums",
    "证件号": "idnums",
    "信用代码": "idnums",
    "id": "idnums",
    "电话": "idnums",
    "手机": "idnums",
    "联系电话": "idnums",
    "phone": "idnums",
    "日期": "received",
    "受理": "received",
    "登记": "received",
    "date": "received",
    "结案": "closed",
    "closed": "closed",
}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
DATE_RANGE = re.compile(r"^(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)?(?:\.\.|~|—|–)?(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)?$")


EXACT = 4.0  # ranking: the word itself, anywhere — above every split of it (search/fast.py sums these per document)
SYNONYM = 3.0  # ranking: a synonym of the word, anywhere
SPLIT = 0.5  # ranking: jieba's words of a typed compound all in one field: that field's weight times this
SPLIT_BODY = 1.0  # … all in the case's text (more than when they are spread over fields, less than the word itself)
NUMBER_PART, NUMBER, HIDDEN = 4.0, 6.0, 6.0  # ranking: a part of the case number, the whole number, an ID/phone number
NOT_ALLOWED = "您的角色不能按证件号码或电话搜索：该条件不匹配任何案件。"


@dataclass
class Parsed:
    query: Node
    features: list[tuple[Node, float]] = field(default_factory=list)  # ranking: (condition, weight) summed per hit
    terms: set[str] = field(default_factory=set)  # normalised strings to highlight
    notes: list[str] = field(default_factory=list)
    plain: bool = False
    empty: bool = False


@dataclass
class _Token:
    kind: str  # word | phrase | or
    text: str = ""
    negate: bool = False
    field: str | None = None


def _clean(raw: str, notes: list[str]) -> str:
    if len(raw) > MAX_QUERY:
        notes.append(f"查询过长，只按前 {MAX_QUERY} 个字搜索。")
        raw = raw[:MAX_QUERY]
    if CONTROL.search(raw):
        raw = CONTROL.sub(" ", raw)
    raw = re.sub(r"(?<!\S)(OR|ＯＲ|或者|或)(?!\S)", " || ", raw)  # before normalising lower-cases it
    return normalise(raw).replace("“", '"').replace("”", '"').replace("：", ":")


def _lex(text: str, notes: list[str]) -> tuple[list[_Token], bool]:
    """Tokens, and whether anything had to be read as plain words."""
    tokens: list[_Token] = []
    degraded = False
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negate = False
        start = i
        if text[i] == "-" and i + 1 < n and not text[i + 1].isspace():
            negate, i = True, i + 1
        fld = None
        m = re.match(r"([^\s:\"]{1,6}):(?=\S)", text[i:])
        if m and m.group(1).lower() in FIELD_ALIASES:
            fld, i = FIELD_ALIASES[m.group(1).lower()], i + m.end()
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            if end == -1:
                notes.append("引号不成对，已按普通词语搜索。")
                degraded = True
                i += 1
                continue
            phrase = text[i + 1 : end].strip()
            if phrase:
                tokens.append(_Token("phrase", phrase, negate, fld))
            i = end + 1
            continue
        end = i
        while end < n and not text[end].isspace() and text[end] != '"':
            end += 1
        word = text[i:end]
        i = end
        if word in ("and", "&&"):
            continue
        elif word == "||" and not fld and not negate:
            tokens.append(_Token("or"))
        elif not word or not any(ch.isalnum() for ch in word):
            if text[start:i].strip():
                notes.append(f"已忽略无法识别的符号“{text[start:i].strip()[:10]}”。")
                degraded = True
        else:
            tokens.append(_Token("word", word, negate, fld))
    return tokens, degraded


def _day(text: str, end: bool) -> int | None:
    parts = [int(p) for p in text.split("-")]
    try:
        if len(parts) == 1:
            d = date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
        elif len(parts) == 2:
            if end:
                nxt = date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
                d = date.fromordinal(nxt.toordinal() - 1)
            else:
                d = date(parts[0], parts[1], 1)
        else:
            d = date(parts[0], parts[1], parts[2])
    except ValueError:
        return None
    return d.year * 10000 + d.month * 100 + d.day


class Builder:
    def __init__(self, *, id_numbers: tuple[str, ...] | bool) -> None:
        self.id_numbers = id_numbers
        self.terms: set[str] = set()
        self.notes: list[str] = []
        self.features: list[tuple[Node, float]] = []

    def id_term(self, value: str) -> Node:
        """An identity or phone number matches only in the subtrees where the person's role may see them."""
        term = Term("idnums", numbers.key(value))
        if self.id_numbers is True:
            return term
        return All((term, any_of([Term("scope", p) for p in self.id_numbers]) if self.id_numbers else NOTHING))

    # --- one word, in every field or in one ------------------------------------------------------
    def word_query(self, word: str, fields: list[str] | None = None, *, exact: bool = False) -> Node | None:
        """A typed word (normalised, no whitespace): found where it occurs as written, in any field (or in `fields`);
        a CJK word also by its synonyms and, unless `exact`, as jieba's words of it all found (the compound typed
        without spaces whose words are apart in the text). None when it has no letter, digit or CJK character.

        Ranking (features): the word (or a synonym) itself anywhere, EXACT, plus the weight of each short field it is
        in; jieba's words all in one field, less than the word itself; spread over fields, nothing more."""
        if not any(True for _ in runs(word)):
            return None
        where = list(fields or MATCH_FIELDS)
        options: list[Node] = []
        if fields is None:
            key = numbers.key(word)
            if not exact:  # a quoted phrase is only the text as written
                options += [Term("numparts", key), Term("number", key)]
                self.features += [(Term("numparts", key), NUMBER_PART), (Term("number", key), NUMBER)]
            if numbers.ID_LIKE.match(key) or numbers.PHONE_LIKE.match(key):
                if self.id_numbers:
                    options.append(self.id_term(key))
                    self.features.append((options[-1], HIDDEN))
                else:
                    self.notes.append(
                        "像是证件号码或电话：您的角色不能按证件号码或电话搜索，只按文字查找（文字中的号码已打码）。"
                    )
        cjk = is_cjk(word)
        for syn in synonyms(word) if cjk and not exact else (word,):
            self.terms.add(syn)
            options.append(any_of([Sub(f, syn) for f in where]))
            self.features.append((options[-1], EXACT if syn == word else SYNONYM))
            self.features += [(Sub(f, syn), TEXT_FIELDS[f]) for f in where if f in TEXT_FIELDS]
        if cjk and not exact and len(word) >= 3:
            parts = [w for w in split_words(word) if len(w) >= 2]
            if len(parts) >= 2:
                self.terms.update(s for w in parts for s in synonyms(w))
                each = {f: all_of([any_of([Sub(f, s) for s in synonyms(w)]) for w in parts]) for f in where}
                options.append(all_of([any_of([Sub(f, s) for f in where for s in synonyms(w)]) for w in parts]))
                self.features += [
                    (node, TEXT_FIELDS[f] * SPLIT if f in TEXT_FIELDS else SPLIT_BODY) for f, node in each.items()
                ]
        return any_of(options)

    def field_query(self, fld: str, value: str, phrase: bool) -> Node | None:
        if fld in ("received", "closed"):
            m = DATE_RANGE.match(value)
            lo = _day(m.group(1), False) if m and m.group(1) else None
            hi = (
                _day((m.group(2) or ("" if ".." in value else m.group(1)) or ""), True)
                if m and (m.group(2) or m.group(1))
                else None
            )
            if m and ".." in value and not m.group(2):
                hi = None
            if lo is None and hi is None:
                self.notes.append(f"日期“{value[:20]}”无法识别，已按普通词语搜索。")
                return None
            return Range(fld, lo, hi)
        if fld == "idnums":
            if not self.id_numbers:
                self.notes.append(NOT_ALLOWED)
                return NOTHING
            node = self.id_term(value)
            self.features.append((node, HIDDEN))
            return node
        if fld == "number":
            key = numbers.key(value)
            options: list[Node] = [Term("numparts", key), Term("number", key)]
            self.features += [(Term("numparts", key), NUMBER_PART), (Term("number", key), NUMBER)]
            sub = self.word_query(key, ["numtext"], exact=True)
            seq = key.removesuffix("号").removeprefix("第")
            if seq.isdigit():
                options += [Term("numparts", seq), Term("numparts", str(int(seq)))]
            return any_of(options + ([sub] if sub else []))
        return self.word_query(value, [fld], exact=phrase)


def parse(raw: str, *, id_numbers: tuple[str, ...] | bool = ()) -> Parsed:
    """The query for `raw`; never raises: what cannot be read is searched as plain words, with a note. A condition that
    cannot be applied (a field the person may not use) matches nothing — it never widens the answer."""
    notes: list[str] = []
    text = _clean(raw or "", notes)
    builder = Builder(id_numbers=id_numbers)
    try:
        tokens, degraded = _lex(text, notes)
    except Exception:  # noqa: BLE001 - the lexer must never fail a search
        tokens, degraded = [_Token("word", w) for w in text.split()], True
    # OR binds the words on either side; a lone OR (first, last, doubled) is dropped.
    groups: list[list[_Token]] = []
    pending_or = False
    for tok in tokens:
        if tok.kind == "or":
            if not groups or pending_or:
                notes.append("“OR”两边都需要词语，已忽略多余的 OR。")
                degraded = True
            pending_or = bool(groups)
            continue
        if pending_or and not tok.negate and not groups[-1][-1].negate:
            groups[-1].append(tok)
        else:
            groups.append([tok])
        pending_or = False
    if pending_or:
        notes.append("“OR”两边都需要词语，已忽略多余的 OR。")
        degraded = True
    if len(groups) > MAX_TERMS:
        notes.append(f"条件过多，只用前 {MAX_TERMS} 个。")
        groups = groups[:MAX_TERMS]
    must: list[Node] = []
    must_not: list[Node] = []
    features: list[tuple[Node, float]] = []
    terms: set[str] = set()
    for group in groups:
        negated = group[0].negate and len(group) == 1
        builder.features, builder.terms = [], set()
        subs = []
        for tok in group:
            sub = (
                builder.field_query(tok.field, tok.text, tok.kind == "phrase")
                if tok.field
                else builder.word_query(tok.text, exact=tok.kind == "phrase")
            )
            if sub is None and tok.field:
                degraded = True
                sub = builder.word_query(tok.text)
                if sub is None:
                    notes.append(f"条件“{tok.text[:20]}”无法识别：该条件不匹配任何案件。")
                    sub = NOTHING
            if sub is not None:
                subs.append(sub)
        if not subs:
            continue
        (must_not if negated else must).append(any_of(subs))
        if not negated:
            features += builder.features
            terms |= builder.terms
    notes.extend(builder.notes)
    notes = list(dict.fromkeys(notes))
    if not must and not must_not:
        return Parsed(NOTHING, [], terms, notes, degraded, empty=True)
    if any(_refused(node) for node in must_not):  # excluding what cannot be looked up would widen the answer
        return Parsed(NOTHING, [], terms, notes, degraded)
    query: Node = all_of(must) if must else EVERYTHING
    if must_not:
        query = Without(query, any_of(must_not))
    return Parsed(query, features, terms, notes, degraded)


def _refused(node: Node) -> bool:
    if node == NOTHING:
        return True
    return isinstance(node, (All, AnyOf)) and any(_refused(n) for n in node.items)
