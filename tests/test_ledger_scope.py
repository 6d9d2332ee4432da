"""A ledger import tells an importer nothing about what lies outside their scope, and brings in no routing between
other bodies; a hostile line (nested thousands deep, control characters, absurd numbers and dates)
is refused by line."""

from __future__ import annotations

import json

import pytest
from factories import build_world
from sqlmodel import Session, select
from test_ledger import case_count, intake, jsonl, run_import, simple_line, who

from portal.cases.models import Case, Transfer
from portal.db import transaction
from portal.ledger import importer


def _scope(engine, world, key: str = "a.clerk"):  # noqa: ANN001, ANN202
    with Session(engine) as db:
        return importer.web_scope(who(db, world, key), None)


def _errors_of(engine, world, *lines: dict, dry_run: bool = True) -> list[str]:  # noqa: ANN001
    return run_import(engine, jsonl(*lines), scope=_scope(engine, world), dry_run=dry_run).errors


def test_a_dry_run_does_not_tell_whether_another_bodys_case_number_exists(engine) -> None:
    world = build_world(engine)
    with transaction(engine) as db:
        theirs = intake(db, world, by="b1.mediator", org="b1", title="乙县的纠纷")
        year, seq = theirs.number_year, theirs.number_seq
    taken = simple_line(number={"org": {"name": "乙县西镇人民调解委员会"}, "year": year, "prefix": "西", "seq": seq})
    free = simple_line(
        number={"org": {"name": "乙县西镇人民调解委员会"}, "year": year, "prefix": "西", "seq": seq + 50}
    )
    answers = [_errors_of(engine, world, line) for line in (taken, free)]
    assert answers[0] == answers[1] == ["第 1 行：number.org：机构不存在或不在您的导入范围内。"]
    # Inside the scope the check stays as useful as before.
    with transaction(engine) as db:
        ours = intake(db, world, org="a1")
    mine = simple_line(number={"year": ours.number_year, "prefix": "东", "seq": ours.number_seq})
    assert any("已存在" in e for e in _errors_of(engine, world, mine))


def test_a_dry_run_does_not_tell_whether_a_login_name_exists_outside_the_scope(engine) -> None:
    world = build_world(engine)
    answers = {
        name: _errors_of(engine, world, simple_line(mediators=[name], records=[], transfers=[]))
        for name in ("b1.mediator", "no.such.person")
    }
    assert [e.replace(name, "X") for name, errs in answers.items() for e in errs] == [
        "第 1 行：mediators[0]：没有登录名为“X”的人员，或该人员不在您的导入范围内。"
    ] * 2
    assert _errors_of(engine, world, simple_line(mediators=["a1.mediator"])) == []


@pytest.mark.parametrize(
    ("ends", "refused"),
    [
        (("乙县西镇人民调解委员会", "乙县矛调中心"), True),  # between two bodies of the other county
        (("甲县医疗纠纷人民调解委员会", "乙县矛调中心"), False),  # one end is the importer's
        (("乙县矛调中心", "甲县东镇人民调解委员会"), False),
    ],
)
def test_routing_history_must_involve_the_importing_scope(engine, ends: tuple[str, str], refused: bool) -> None:
    world = build_world(engine)
    transfer = {
        "from": {"name": ends[0]},
        "to": {"name": ends[1]},
        "kind": "移送",
        "state": "accepted",
        "letter": "请予调解，材料随函附送。",
    }
    report = run_import(engine, jsonl(simple_line(transfers=[transfer])), scope=_scope(engine, world))
    assert (
        report.errors
        == [
            "第 1 行：transfers[0]：移送记录的移送方和接收方都不在您的导入范围内："
            "只能导入本机构（或下级机构）参与的移送。"
        ]
    ) is refused
    with Session(engine) as db:
        assert len(db.exec(select(Transfer)).all()) == (0 if refused else 1)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [9, 500, 5000, 100_000])
def test_a_line_nested_deeper_than_any_ledger_is_refused_by_line(engine, depth: int) -> None:
    build_world(engine)
    line = json.dumps(simple_line(), ensure_ascii=False)[:-1] + f', "title": {_nested(depth)}}}'
    report = run_import(engine, (line + "\n" + json.dumps(simple_line(), ensure_ascii=False) + "\n").encode())
    assert report.errors[0].startswith("第 1 行：嵌套层级过深") and report.lines == 2
    assert case_count(engine) == 0


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("title", "宅基地\u0000纠纷", "title"),
        ("summary", "经过\u0007调解", "summary"),
        ("title", "张某\u202e与李某", "title"),
        ("received_on", "0001-01-01", "received_on"),
        ("received_on", "9999-12-31", "received_on"),
        ("people_involved", 2**63, "people_involved"),
        ("people_involved", "３", "people_involved"),
        ("number", {"year": 2025, "prefix": "东", "seq": 10**40}, "number.seq"),
        ("org", {"id": 2**63}, "org"),
        ("mediators", ["a1.mediator\u0000"], "mediators[0]"),
        ("created_at", "0001-01-01T00:00:00", "created_at"),
    ],
)
def test_hostile_values_in_a_line_are_refused_by_line_and_field(engine, field: str, value, where: str) -> None:  # noqa: ANN001
    world = build_world(engine)
    report = run_import(engine, jsonl(simple_line(**{field: value})), scope=_scope(engine, world))
    assert report.imported == 0 and any(e.startswith(f"第 1 行：{where}：") for e in report.errors), report.errors
    with Session(engine) as db:
        assert db.exec(select(Case)).first() is None
