"""The classes of search defects an independent check found on a county's data (issue 15), one test per class, each
on cases written the way that county writes them. The portal-side classes (phones and identity numbers by role, states
and tiers as words, the same answer from every worker) are in test_searching_roles.py and test_searching_workers.py."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support.search_corpus import background, make_doc

from search import CaseDoc, Rebuild, Scope, SearchIndex, SearchRequest

ALL = Scope(everything=True)
ID_NUMBER = "370102199001011234"


def _index(root, docs: list[CaseDoc]) -> SearchIndex:  # noqa: ANN001
    job = Rebuild(root, procs=1)
    job.add(docs)
    job.finish()
    return SearchIndex(root)


def _hits(index: SearchIndex, q: str, **request) -> list[int]:  # noqa: ANN003
    return [h.case_id for h in index.search(SearchRequest(q=q, size=100, facets=False, **request), ALL).hits]


def _numbered(case_id: int, number: str, prefix: str, seq: int, year: int, text: str) -> CaseDoc:
    doc = make_doc(
        case_id, title=f"案号样本{case_id}", parties=["覃美玲", "魏建民"], dtype="04", text=text, seq=seq, year=year
    )
    doc.number, doc.number_prefix = number, prefix
    return doc


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    docs = background(120)
    planted = [
        make_doc(501, title="医疗纠纷", parties=["甲", "乙"], dtype="06", text="患者在卫生院拍了X光片，显示骨折。"),
        make_doc(
            502, title="相邻纠纷", parties=["丙", "丁"], dtype="0201", text="双方住在幸福小区A座三单元，楼上漏水。"
        ),
        make_doc(503, title="借款纠纷", parties=["戊", "己"], dtype="04", text="经调解，约定赔偿12800元，分两期支付。"),
        make_doc(504, title="赡养纠纷", parties=["庚", "辛"], dtype="0101", text="第三次调解时双方达成一致。"),
        make_doc(505, title="宅基地纠纷", parties=["壬", "癸"], dtype="0301", text="屋后一棵老树上有㐂字石刻。"),
        # defect 2: has 交通, 通事 and 事故 (the bigrams of 交通事故, a synonym of 车祸) but neither word
        make_doc(
            506,
            title="合同纠纷",
            parties=["子", "丑"],
            dtype="04",
            text="村里交通便利，双方沟通事宜后再无事故。调解成功。",
        ),
        make_doc(507, title="赔偿纠纷", parties=["寅", "卯"], dtype="14", text="两车发生交通事故。调解成功。"),
        # defect 5: the phrase exactly in three cases' records; its jieba words in thirty others' titles
        *[
            make_doc(
                510 + i,
                title="物业纠纷",
                parties=["某甲", "某乙"],
                dtype="15",
                text=f"业主反映装修噪音扰民已有{i + 2}个月。",
            )
            for i in range(3)
        ],
        *[
            make_doc(
                520 + i, title=f"装修与噪音及扰民纠纷{i}", parties=["某丙", "某丁"], dtype="15", text="业主多次投诉。"
            )
            for i in range(30)
        ],
        # defect 6: numbers of several 字号, and a later case that cites one of them in its record
        _numbered(601, "（2024）东门人调字第021号", "东门", 21, 2024, "覃美玲与魏建民就农机具买卖发生纠纷。"),
        _numbered(602, "（2024）清医调字第012号", "清", 12, 2024, "患者术后感染。"),
        _numbered(603, "（2025）X交调字第007号", "X", 7, 2025, "两车相撞。"),
        make_doc(
            604,
            title="重复申请",
            parties=["覃美玲", "魏建民"],
            dtype="04",
            text="本案与（2024）东门人调字第021号系同一纠纷，双方再次申请调解。",
        ),
        make_doc(
            605,
            title="证件号码样本",
            parties=["司马相如", "卓文君"],
            dtype="0301",
            id_numbers=[ID_NUMBER],
            text="宅基地界址纠纷。",
        ),
    ]
    return _index(tmp_path_factory.mktemp("county") / "index", docs + planted)


def test_1_a_cjk_character_next_to_latin_letters_or_digits_is_found_in_long_texts(county: SearchIndex) -> None:
    for q, case_id in (
        ("X光", 501),
        ("x光片", 501),
        ("A座", 502),
        ("12800元", 503),
        ("800元", 503),
        ("第三", 504),
        ("㐂", 505),
    ):
        assert _hits(county, q) == [case_id], q  # found, and only where it occurs as written
    # the full number typed with its final 号 finds the case and the later case that cites it
    assert {601, 604} <= set(_hits(county, "（2024）东门人调字第021号"))
    assert _hits(county, "（2024）东门人调字第021号")[0] == 601


def test_2_an_exclusion_with_synonyms_removes_only_the_cases_that_contain_them(county: SearchIndex) -> None:
    hits = _hits(county, "调解成功 -车祸")
    assert 506 in hits and 507 not in hits  # 506 has the bigrams of 交通事故 apart, not the word
    assert set(_hits(county, "调解成功")) - set(hits) == {507}


def test_3_a_field_condition_the_person_may_not_use_answers_nothing_and_says_why(county: SearchIndex) -> None:
    for q in (f"证件:{ID_NUMBER}", f"证件:{ID_NUMBER} 宅基地", f"宅基地 -证件:{ID_NUMBER}"):
        res = county.search(SearchRequest(q=q, size=20), ALL)
        assert res.total == 0 and res.hits == [], q
        assert any("不能按证件号码" in n for n in res.notes), q
    assert _hits(county, f"证件:{ID_NUMBER}", id_numbers=True) == [605]  # a role that may: exactly that case
    assert _hits(county, f"证件:{ID_NUMBER}", id_numbers=("/9/",)) == []  # … only where it may


def test_4_the_query_dictionary_depends_on_the_names_given_never_on_what_came_before() -> None:
    import search.text as text

    before = text._names  # noqa: SLF001
    try:
        text.set_words(["凤鸣山庄", "青龙湾"])
        text.set_words(["青龙湾"])
        here = text.split_words("凤鸣山庄调解纠纷")
        text.set_words([])
        fresh = subprocess.run(
            [
                sys.executable,
                "-c",
                "import search.text as t; t.set_words(['青龙湾']); print('/'.join(t.split_words('凤鸣山庄调解纠纷')))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert "/".join(here) == fresh
        text.set_words(["凤鸣山庄"])
        assert "凤鸣山庄" in text.split_words("凤鸣山庄调解纠纷")
    finally:
        text.set_words(before)


def test_5_an_exact_phrase_ranks_above_its_words_found_apart(county: SearchIndex) -> None:
    hits = _hits(county, "装修噪音扰民")
    assert set(hits[:3]) == {510, 511, 512}, hits[:5]
    assert {520, 521} <= set(hits)  # the words apart still count, below


@pytest.mark.parametrize(
    ("q", "case_id"),
    [
        ("(2024)东门人调字", 601),
        ("（2024）东门人调字", 601),
        ("(2024)东门", 601),
        ("东门人调字", 601),
        ("东门", 601),
        ("第021号", 601),
        ("021号", 601),
        ("第21号", 601),
        ("（２０２４）东门人调字第０２１号", 601),
        ("清医调字", 602),
        ("(2024)清医调字", 602),
        ("医调字第012号", 602),
        ("（2024）清医调字第012号", 602),
        ("X交调字", 603),
        ("(2025)x交调字第007号", 603),
    ],
)
def test_6_every_part_of_a_case_number_of_any_zihao_is_found_as_typed(
    county: SearchIndex, q: str, case_id: int
) -> None:
    hits = _hits(county, q)
    assert hits and hits[0] == case_id, hits[:5]
