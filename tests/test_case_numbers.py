"""Case numbers per organisation (DOMAIN §3 [local]): the prefix and 字号 are data an administrator edits, new cases
follow them, and ledger import keeps any well-formed number exactly, whatever its 字号."""

from __future__ import annotations

import pytest
from factories import build_world, sign_in
from sqlmodel import Session, select
from test_ledger import TODAY, case_count, empty_cases, jsonl, ledger, run_import, simple_line, who
from test_orgs import org_form, post

from portal import clock
from portal.cases import numbers, parties, service
from portal.cases.models import Case
from portal.db import transaction
from portal.orgs.models import Organisation

FORMATS = [  # as written in other counties' ledgers → (year, prefix, 字号, sequence)
    ("（2024）X医调字第012号", (2024, "X", "医调字", 12)),
    ("(2023)东门交调字第7号", (2023, "东门", "交调字", 7)),
    ("〔2025〕清诉调字第003号", (2025, "清", "诉调字", 3)),
    ("（２０２４）桃花村调字第０２１号", (2024, "桃花", "村调字", 21)),
    ("【2022】甲访调字第105号", (2022, "甲", "访调字", 105)),
    ("[2021] 河口劳调字 第 0044 号", (2021, "河口", "劳调字", 44)),
    ("（2020）峄人调字第017号", (2020, "峄", "人调字", 17)),
]


@pytest.mark.parametrize(("text", "parts"), FORMATS)
def test_a_well_formed_number_of_any_zihao_is_read_into_its_parts(text: str, parts: tuple) -> None:
    found = numbers.parse(text)
    assert found is not None and (found.year, found.prefix, found.word, found.seq) == parts


def test_numbers_without_a_zihao_a_sequence_or_a_sane_year_are_not_well_formed() -> None:
    for text in (
        "（2024）东人调第001号",
        "2024东人调字第001号",
        "（2024）东人调字第号",
        "（1900）东人调字第001号",
        "东人调字第1号",
    ):
        assert numbers.parse(text) is None, text
    assert (
        numbers.parse("（2024）东门医调字第1号", words=("门医调字",)).prefix == "东"
    )  # the organisation's own 字号 first
    assert numbers.format_number(2026, "峄", "医调字", 17) == "（2026）峄医调字第017号"


def test_ledger_import_keeps_every_well_formed_number_exactly_and_exports_it_again(engine) -> None:
    build_world(engine)
    lines = [simple_line(title=f"外县台账案件{i}", number=text) for i, (text, _parts) in enumerate(FORMATS)]
    lines.append(simple_line(title="按部分写的案号", number={"year": 2025, "prefix": "东", "word": "村调字", "seq": 9}))
    report = run_import(engine, jsonl(*lines))
    assert report.ok and report.imported == len(lines), report.errors
    exported = ledger(engine)
    by_title = {line["title"]: line["number"] for line in exported}
    for i, (text, (year, prefix, word, seq)) in enumerate(FORMATS):
        assert by_title[f"外县台账案件{i}"] == {
            "org": by_title[f"外县台账案件{i}"]["org"],
            "year": year,
            "prefix": prefix,
            "word": word,
            "seq": seq,
            "text": text.strip(),
        }
    assert by_title["按部分写的案号"]["text"] == "（2025）东村调字第009号"
    empty_cases(engine)  # the round trip: the exported ledger imports into an empty database unchanged
    again = run_import(engine, jsonl(*exported))
    assert again.ok and again.imported == len(lines), again.errors
    assert ledger(engine) == exported


def test_a_number_that_is_not_well_formed_or_contradicts_its_parts_is_refused_in_chinese(engine) -> None:
    build_world(engine)
    bad = simple_line(number="（2024）东人调第001号")
    contradicting = simple_line(number={"text": "（2024）东医调字第002号", "word": "人调字", "seq": 3})
    report = run_import(engine, jsonl(bad, contradicting))
    assert not report.ok and case_count(engine) == 0
    assert any(e.startswith("第 1 行：number.text：案号“（2024）东人调第001号”无法识别") for e in report.errors)
    assert "第 2 行：number.text：案号文字“（2024）东医调字第002号”与字号、序号不符。" in report.errors


def test_a_csv_ledgers_number_column_is_kept_as_written(engine) -> None:
    build_world(engine)
    table = (
        "案号,机构,案件名称,来源渠道,纠纷类型,纠纷简要情况,收到日期,申请人\n"
        "（2024）X医调字第012号,甲县东镇人民调解委员会,外县医患纠纷,来访,0201,术后感染。,2024-05-01,陈某\n"
    )
    report = run_import(engine, table.encode())
    assert report.ok, report.errors
    with Session(engine) as db:
        case = db.exec(select(Case)).one()
    assert (case.number, case.number_prefix, case.number_word, case.number_seq) == (
        "（2024）X医调字第012号",
        "X",
        "医调字",
        12,
    )


def test_an_administrator_sets_an_organisations_format_and_new_cases_follow_it(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    with Session(engine) as db:
        committee = db.get(Organisation, world.org("a_med").id)
    refused = post(client, f"/orgs/{committee.id}/edit", org_form(committee, number_prefix="甲", number_word="医调"))
    assert refused.status_code == 422 and "以“字”结尾" in refused.text
    saved = post(client, f"/orgs/{committee.id}/edit", org_form(committee, number_prefix="甲", number_word="医调字"))
    assert saved.status_code == 303
    assert "（年份）甲医调字第001号" in client.get(f"/orgs/{committee.id}").text
    with transaction(engine) as db:
        form = service.CaseForm(
            title="患者与医院医疗纠纷",
            channel="来访",
            dispute_type="0201",
            summary="术后感染。",
            org_id=str(committee.id),
            received_on=TODAY,
        )
        case = service.intake(
            db, who(db, world, "a.clerk"), form, parties=[parties.PartyForm(role="申请人", name="患某")]
        )
        assert case.number == f"（{clock.today().year}）甲医调字第001号" and case.number_word == "医调字"
        other = service.intake(
            db,
            who(db, world, "a.clerk"),
            service.CaseForm(**{**form.__dict__, "org_id": str(world.org("a1").id)}),
            parties=[parties.PartyForm(role="申请人", name="别某")],
        )
        assert other.number == f"（{clock.today().year}）东人调字第001号"  # the others keep 人调字
