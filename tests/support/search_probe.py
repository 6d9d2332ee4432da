"""A generated corpus for the property test of search's analysis chain, and the oracle it is judged by.

Cases with long record texts mixing common, rare (CJK extensions A and B, compatibility forms, 〇) and traditional
characters, Latin letters and digits in both widths, runs that mix CJK with Latin or digits (X光, A座, 12800元, 第三),
punctuation, and case numbers of several 字号. Nothing here knows how the index works: the oracle is the plain
definition — a word is found where it occurs as written, after normalisation.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, timedelta

from search import CaseDoc, normalise
from search import numbers as search_numbers
from search.text import RUN, is_cjk, split_words, synonyms
from search.writing import fields_of, number_parts

COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
    "行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然"
    "前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系"
    "军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别"
    "她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思"
    "术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张"
    "信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委"
    "素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置"
    "派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞调解纠纷宅基地赔偿协议申请当事双方邻里物业劳动争议"
)
RARE = "䶮𠮷堃喆㐂䲜𪚥〇丂乂乜亍兀丌冫凵匚卩刂厶廴彐彳"
TRADITIONAL = (
    "書國會學這們說與對來時個發經點樣區黨農業從動體務關將師際戰還過檢測調解糾紛賠償協議申請當雙鄰裡業勞動爭議寵彩禮返還"
)
LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
WIDE_DIGITS = "０１２３４５６７８９"
WIDE_LATIN = "ＡＢＣＤＥＦＧＨＸＹＺａｂｃｘｙｚ"
PUNCT = ["，", "。", "、", "；", "：", "（", "）", "“", "”", "《", "》", " ", "-", ".", "\n", "/", "·", "——", "…"]
MIXED = [
    "X光",
    "A座",
    "B超",
    "CT检查",
    "3号楼",
    "12800元",
    "第三",
    "第3次",
    "iPhone14",
    "Ｘ光片",
    "２号",
    "5G基站",
    "K线",
    "U盘",
    "第二十一条",
    "2024年3月5日",
    "二〇二四年",
    "3.5万元",
    "110报警",
    "PM2.5",
]
WORDS = [
    "宅基地",
    "赔偿",
    "物业费",
    "拖欠工资",
    "欠薪",
    "离婚",
    "解除婚姻",
    "交通事故",
    "车祸",
    "赡养",
    "养老",
    "调解协议",
]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林郑"
GIVEN = ["建国", "秀英", "志强", "桂兰", "䶮", "𠮷祥", "宏堃", "文喆", "雪梅", "大海", "娜娜", "小军"]
COMPOUND = ["欧阳", "司马", "诸葛", "上官"]
COMPANIES = ["ABC物业公司", "鑫达建筑劳务有限公司", "Ｘ光诊所", "惠民超市", "3D打印工作室", "锦绣家园物业服务有限公司"]
TYPES = [["婚姻家庭", "离婚纠纷"], ["邻里", "相邻关系"], ["房屋宅基地"], ["劳动争议", "拖欠农民工工资"], ["医疗"]]
ORGS = [
    ("/1/2/10/", ["东门社区人民调解委员会", "城关街道人民调解委员会", "清溪县社会矛盾纠纷调处化解中心"]),
    ("/1/2/11/", ["南关社区人民调解委员会", "城关街道人民调解委员会", "清溪县社会矛盾纠纷调处化解中心"]),
    ("/1/3/", ["清溪县医疗纠纷人民调解委员会", "清溪县社会矛盾纠纷调处化解中心"]),
    ("/1/4/", ["清溪县信访局访调对接中心", "清溪县社会矛盾纠纷调处化解中心"]),
]
LABELS = [
    ("调解中", "信访移交", "", ["村(社区)", "人民调解委员会"]),
    ("已结案", "来访", "书面协议", ["乡镇(街道)", "人民调解委员会", "群体性纠纷"]),
    ("调解不成", "法院委派/委托", "调解不成", ["县(区)", "行业性专业性调委会", "重大风险"]),
    ("已受理", "网格员上报", "", ["村民小组/网格", "调解工作站/网格"]),
]
NUMBER_WORDS = [
    ("东门", "人调字"),
    ("清", "医调字"),
    ("清", "访调字"),
    ("桃一", "村调字"),
    ("X", "诉调字"),
    ("河口", "劳调字"),
]


def _paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def _vocabulary(rng: random.Random, n: int = 600) -> list[str]:
    """Words of 1–4 common characters: text drawn from a vocabulary (most often from its first words), as real text is,
    rather than from random characters (whose every bigram is new: an index of nothing but one-off terms)."""
    return ["".join(rng.choice(COMMON) for _ in range(rng.choice((1, 2, 2, 2, 3, 4)))) for _ in range(n)]


_VOCABULARY = _vocabulary(random.Random(0))
_R = random.Random(1)
_LATIN_WORDS = ["".join(_R.choice(LATIN) for _ in range(_R.randint(1, 6))) for _ in range(80)]
_NUMBERS = [str(_R.choice([_R.randint(0, 99), _R.randint(100, 9999), _R.randint(10**4, 10**9)])) for _ in range(120)]


def _piece(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return "".join(_VOCABULARY[int(rng.paretovariate(1.0)) % len(_VOCABULARY)] for _ in range(rng.randint(1, 6)))
    if roll < 0.52:
        return rng.choice(RARE) + rng.choice(COMMON)
    if roll < 0.60:
        return "".join(rng.choice(TRADITIONAL) for _ in range(rng.randint(1, 4)))
    if roll < 0.68:
        return rng.choice(_LATIN_WORDS)
    if roll < 0.76:
        return rng.choice(_NUMBERS)
    if roll < 0.80:
        return "".join(rng.choice(WIDE_DIGITS + WIDE_LATIN) for _ in range(rng.randint(1, 4)))
    if roll < 0.90:
        return rng.choice(MIXED)
    if roll < 0.95:
        return rng.choice(WORDS)
    return rng.choice(RARE)


def text(rng: random.Random, length: int) -> str:
    """Random text of about `length` characters: pieces joined directly (so runs touch) or by punctuation."""
    out: list[str] = []
    size = 0
    while size < length:
        piece = _piece(rng)
        out.append(piece)
        size += len(piece)
        if rng.random() < 0.45:
            out.append(rng.choice(PUNCT))
    return "".join(out)


def _name(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return rng.choice(COMPANIES)
    surname = rng.choice(COMPOUND) if rng.random() < 0.15 else rng.choice(SURNAMES)
    return surname + rng.choice(GIVEN)


def _number(rng: random.Random, year: int, seq: int) -> tuple[str, str, str]:
    prefix, word = rng.choice(NUMBER_WORDS)
    number = f"（{year}）{prefix}{word}第{seq:03d}号"
    if rng.random() < 0.2:
        number = number.translate(str.maketrans("0123456789()", "０１２３４５６７８９（）"))
    if rng.random() < 0.2:
        number = number.replace("（", "(").replace("）", ")")
    return number, prefix, word


def corpus(seed: int, n: int = 120) -> list[CaseDoc]:
    rng = random.Random(seed)
    docs = []
    for i in range(1, n + 1):
        year, seq = rng.choice([2023, 2024, 2025]), rng.randint(1, 400)
        number, prefix, word = _number(rng, year, seq)
        path, org_names = rng.choice(ORGS)
        status, channel, outcome, labels = rng.choice(LABELS)
        parties = [_name(rng) for _ in range(rng.randint(1, 3))]
        records = [text(rng, rng.randint(150, 1200)) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.2 and docs:  # a later case citing an earlier one's number
            records.append(f"本案与{rng.choice(docs).number}系同一纠纷。")
        docs.append(
            CaseDoc(
                id=i,
                version=1,
                number=number,
                number_year=year,
                number_prefix=prefix,
                number_seq=seq,
                number_word=word,
                title=f"{parties[0]}与{_name(rng)}{rng.choice(WORDS)}{text(rng, 6)}纠纷",
                parties=parties,
                dispute_type=str(i % 5),
                dispute_type_names=rng.choice(TYPES),
                channel=channel,
                status="s" + str(i % 4),
                status_label=status,
                outcome_label=outcome,
                labels=labels,
                org_id=int(path.strip("/").split("/")[-1]),
                org_name=org_names[0],
                org_paths=_paths(path),
                org_names=org_names,
                tier="village",
                mediators=[_name(rng) for _ in range(rng.randint(0, 2))],
                received_on=date(year, 1, 1) + timedelta(days=rng.randrange(360)),
                text="\n".join(records),
                dossier_pages=[text(rng, rng.randint(100, 600)) for _ in range(rng.randint(0, 3))]
                if rng.random() < 0.3
                else [],
            )
        )
    return docs


# --- the oracle ---------------------------------------------------------------------------------------
OPERATORS = {"or", "and", "||", "&&", "或", "或者", "ｏｒ"}


@dataclass
class Indexed:
    """One document as the oracle reads it: each field's stored (masked) text, normalised, and its number's parts."""

    id: int
    path: str
    fields: dict[str, str]
    parts: set[str]

    @classmethod
    def of(cls, doc: CaseDoc) -> Indexed:
        stored = fields_of(doc)
        names = ("numtext", "title", "parties", "mediators", "types", "orgs", "labels", "body", "dossier")
        return cls(doc.id, doc.org_paths[-1], {n: normalise(stored[n] or "") for n in names}, set(number_parts(doc)))

    def has(self, word: str) -> bool:
        return any(word in t for t in self.fields.values())

    def phrase(self, word: str) -> bool:
        return self.has(word)

    def plain(self, word: str) -> bool:
        """A plain word: as written, or a synonym, or (a CJK word of 3+ characters) jieba's words of it all found, or
        one of the case number's parts exactly."""
        if word in self.parts:
            return True
        return any(all(any(self.has(s) for s in options) for options in alt) for alt in alternatives(word))


@functools.lru_cache(maxsize=4096)
def alternatives(word: str) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """What finds a plain word: each alternative is a list of parts that must all be found, each part any of a few
    spellings — the word or a synonym; jieba's words of a CJK word of 3+ characters (each or a synonym)."""
    cjk = is_cjk(word)
    found: list[tuple[tuple[str, ...], ...]] = [((s,),) for s in (synonyms(word) if cjk else (word,))]
    if cjk and len(word) >= 3:
        parts = [w for w in split_words(word) if len(w) >= 2]
        if len(parts) >= 2:
            found.append(tuple(tuple(synonyms(p)) for p in parts))
    return tuple(found)


def typeable(raw: str) -> bool:
    """Whether `raw` reads as one plain word in the query language (no operator, field, quote or space)."""
    norm = normalise(raw)
    return (
        bool(norm)
        and not any(c.isspace() for c in norm)
        and '"' not in norm
        and ":" not in norm
        and "“" not in norm
        and "”" not in norm
        and not norm.startswith("-")
        and norm not in OPERATORS
        and RUN.search(norm) is not None
        and any(c.isalnum() for c in norm)
    )


def draw(rng: random.Random, doc: Indexed, raw_fields: dict[str, str]) -> str | None:
    """A random substring of 1–8 characters of one of the document's fields (as stored, before normalisation);
    often one that crosses from CJK to Latin/digits, or a single character."""
    names = [n for n, t in raw_fields.items() if t]
    field = rng.choice(names)
    value = raw_fields[field]
    for _ in range(20):
        roll = rng.random()
        length = min(1 if roll < 0.2 else rng.randint(2, 8), len(value))
        if roll > 0.7:  # around a join of CJK and Latin/digits
            norm = normalise(value)
            joins = [
                i
                for i in range(1, len(norm))
                if is_cjk(norm[i - 1]) != is_cjk(norm[i]) and norm[i - 1].isalnum() and norm[i].isalnum()
            ]
            if joins:
                j = rng.choice(joins)
                start = max(0, min(len(value) - length, j - rng.randint(1, max(1, length - 1))))
            else:
                start = rng.randrange(0, len(value) - length + 1)
        else:
            start = rng.randrange(0, len(value) - length + 1)
        piece = value[start : start + length]
        if typeable(piece):
            return piece
    return None


def raw_fields(doc: CaseDoc) -> dict[str, str]:
    stored = fields_of(doc)
    return {
        n: stored[n] or ""
        for n in ("numtext", "title", "parties", "mediators", "types", "orgs", "labels", "body", "dossier")
    }


def with_variants(rng: random.Random, word: str) -> str:
    """The same word as someone might type it: full-width Latin and digits, other letter case."""
    out = []
    for c in word:
        if c.isascii() and c.isalnum() and rng.random() < 0.3:
            out.append(chr(ord(c) + 0xFEE0))
        elif c.isascii() and c.isalpha() and rng.random() < 0.3:
            out.append(c.swapcase())
        else:
            out.append(c)
    return "".join(out)


__all__ = ["Indexed", "corpus", "draw", "raw_fields", "typeable", "with_variants", "search_numbers"]
