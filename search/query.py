"""A forgiving query language, read by hand so that no input can raise.

words (all must match) · "exact phrase" · a OR b · -exclude · 当事人:张三 案号:017 类型:物业 调解员:王 机构:城关
状态:调解中 证件:370… · 日期:2024 / 日期:2024-03 / 日期:2024-01-01..2024-06-30 (also 受理: and 结案:).
Anything it cannot read as written is searched as plain words, and the notes say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from whoosh import query as Q

from search.schema import MATCH_FIELD, SHORT_FIELDS, TEXT_FIELDS
from search.text import bigrams, is_cjk, normalise, runs, split_words, synonyms

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
    "内容": MATCH_FIELD,
    "记录": MATCH_FIELD,
    "证件": "idnums",
    "身份证": "idnums",
    "证件号": "idnums",
    "id": "idnums",
    "日期": "received",
    "受理": "received",
    "登记": "received",
    "date": "received",
    "结案": "closed",
    "closed": "closed",
}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
ID_LIKE = re.compile(r"^(\d{17}[\dx]|\d{15}|[0-9a-z]{18})$")
DATE_RANGE = re.compile(r"^(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)?(?:\.\.|~|—|–)?(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)?$")


@dataclass
class Parsed:
    query: Q.Query
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

    def id_term(self, value: str, boost: float = 1.0) -> Q.Query:
        """An identity number matches only in the subtrees where the person's role may see them."""
        term = Q.Term("idnums", value, boost=boost)
        if self.id_numbers is True:
            return term
        return Q.And([term, Q.Or([Q.Term("scope", p) for p in self.id_numbers])])

    # --- one word, in every field or in one ------------------------------------------------------
    def run_query(self, run: str, fields: list[str], *, chars_field: bool = True) -> Q.Query | None:
        """A normalised run (CJK or Latin/digits) as an exact substring in any of `fields`.

        Over all fields: matched once in the combined field (a term, or a phrase of bigrams that search/fast.py
        narrows by the AND of its bigrams first), the short fields only adding their boost.
        """
        if is_cjk(run) and len(run) == 1:
            self.terms.add(run)
            if fields == list(TEXT_FIELDS) and chars_field:
                return Q.Term("chars", run)
            return Q.Or([Q.Prefix(f, run) for f in fields])
        grams = bigrams(run)
        self.terms.add(run)

        def one(f: str, boost: float = 1.0) -> Q.Query:
            return Q.Term(f, grams[0], boost=boost) if len(grams) == 1 else Q.Phrase(f, grams, boost=boost)

        if fields == list(TEXT_FIELDS):
            return Q.AndMaybe(one(MATCH_FIELD), Q.Or([one(f, TEXT_FIELDS[f]) for f in SHORT_FIELDS]))
        subs = [one(f, TEXT_FIELDS.get(f, 1.0)) for f in fields]
        return subs[0] if len(subs) == 1 else Q.Or(subs)

    def word_query(self, word: str, fields: list[str] | None = None, *, exact: bool = False) -> Q.Query | None:
        """A typed word: runs in order; synonyms; jieba's split of long CJK words as an alternative."""
        all_fields = fields is None
        fields = fields or list(TEXT_FIELDS)
        pieces = list(runs(word))
        if not pieces:
            return None
        alternatives: list[Q.Query] = []
        if all_fields:
            alternatives.append(Q.Term("numparts", word, boost=4.0))
            if word.startswith("("):
                alternatives.append(Q.Term("number", word, boost=6.0))
            if self.id_numbers and ID_LIKE.match(word):
                alternatives.append(self.id_term(word, boost=6.0))
        per_run = []
        for run, _ in pieces:
            options = []
            for syn in synonyms(run) if not exact else (run,):
                sub = self.run_query(syn, fields)
                if sub is not None:
                    options.append(sub)
            if not exact and is_cjk(run) and len(run) >= 3:
                words = [w for w in split_words(run) if len(w) >= 2]
                if len(words) >= 2:
                    split = [self.run_query(w, fields, chars_field=False) for w in words]
                    options.append(Q.And([s for s in split if s is not None], boost=0.5))
            per_run.append(options[0] if len(options) == 1 else Q.Or(options))
        alternatives.append(per_run[0] if len(per_run) == 1 else Q.And(per_run))
        return alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives)

    def field_query(self, fld: str, value: str, phrase: bool) -> Q.Query | None:
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
            return Q.NumericRange(fld, lo, hi)
        if fld == "idnums":
            if not self.id_numbers:
                self.notes.append("您的角色不能按证件号码搜索，已忽略该条件。")
                return Q.NullQuery
            return self.id_term(value)
        if fld == "number":
            options = [Q.Term("numparts", value), Q.Term("number", value)]
            sub = self.word_query(value, ["numtext"], exact=True)
            seq = value.removesuffix("号").lstrip("第")
            if seq.isdigit():
                options += [Q.Term("numparts", seq), Q.Term("numparts", str(int(seq)))]
            return Q.Or(options + ([sub] if sub else []))
        return self.word_query(value, [fld], exact=phrase)


def parse(raw: str, *, id_numbers: tuple[str, ...] | bool = ()) -> Parsed:
    """The query for `raw`; never raises: what cannot be read is searched as plain words, with a note."""
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
    must: list[Q.Query] = []
    must_not: list[Q.Query] = []
    for group in groups:
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
            if sub is not None and sub is not Q.NullQuery:
                subs.append(sub)
        if not subs:
            continue
        sub = subs[0] if len(subs) == 1 else Q.Or(subs)
        (must_not if group[0].negate and len(group) == 1 else must).append(sub)
    notes.extend(builder.notes)
    if not must and not must_not:
        return Parsed(Q.NullQuery, builder.terms, list(dict.fromkeys(notes)), degraded, empty=True)
    if not must:
        query: Q.Query = Q.Every()
    else:
        query = must[0] if len(must) == 1 else Q.And(must)
    if must_not:
        query = Q.AndNot(query, must_not[0] if len(must_not) == 1 else Q.Or(must_not))
    return Parsed(query, builder.terms, list(dict.fromkeys(notes)), degraded)
