"""The case ledger: JSON Lines export and import (all or nothing), CSV/XLSX, the upload page, scope and audit."""

from __future__ import annotations

import io
import json
from datetime import date

from bs4 import BeautifulSoup
from click.testing import CliRunner
from factories import build_world, csrf, sign_in
from sqlalchemy import delete, func
from sqlmodel import Session, select

from portal import clock
from portal.audit.models import AuditEntry
from portal.cases import loop, parties, service, transfers
from portal.cases.models import (
    Case,
    CaseEvent,
    CaseFile,
    CaseMediator,
    CaseRecord,
    CaseSequence,
    CaseState,
    Party,
    Transfer,
)
from portal.db import transaction
from portal.ledger import importer
from portal.ledger.export import export_all
from portal.people.models import Person
from portal.scope import load_principal

TODAY = clock.today().isoformat()
VALID_ID = "11010519491231002X"
BAD_ID = "110105194912310021"
DEADLINES = loop.Deadlines()


def who(db: Session, world, key: str):  # noqa: ANN001, ANN201
    return load_principal(db, db.get(Person, world.person(key).id))


def intake(db: Session, world, *, by: str = "a.clerk", org: str = "a1", title: str = "张某与李某宅基地纠纷") -> Case:  # noqa: ANN001
    form = service.CaseForm(
        title=title,
        channel="来访",
        dispute_type="0301",
        summary="两家因宅基地界线发生争执。",
        requests="确认界线",
        amount="1200.50",
        org_id=str(world.org(org).id),
        received_on=TODAY,
    )
    party_forms = [
        parties.PartyForm(
            role="申请人", name="张某", id_type="resident_id", id_number=VALID_ID, phone="13912345678", address="桃花村"
        ),
        parties.PartyForm(role="被申请人", name="李某", sex="男", age="52"),
    ]
    return service.intake(db, who(db, world, by), form, parties=party_forms)


def build_cases(engine) -> tuple:  # noqa: ANN001
    """County A: one case worked through mediation with records and a transfer; county B: one registered case."""
    world = build_world(engine)
    with transaction(engine) as db:
        worked = intake(db, world)
        loop.apply(
            db, who(db, world, "a.clerk"), worked, "accept", {"version": str(worked.version)}, deadlines=DEADLINES
        )
        loop.assign_mediator(
            db,
            who(db, world, "a.clerk"),
            worked,
            world.person("a1.mediator").id,
            choices=service.mediator_choices(db, worked),
        )
        loop.apply(
            db, who(db, world, "a1.mediator"), worked, "mediate", {"version": str(worked.version)}, deadlines=DEADLINES
        )
        loop.add_record(
            db,
            who(db, world, "a1.mediator"),
            worked,
            "mediation",
            {
                "held_on": TODAY,
                "place": "村调解室",
                "mediators": "东镇调解员",
                "parties_present": "张某、李某",
                "content": "释法明理",
                "result": "继续调解",
            },
        )
        routed = intake(db, world, title="王某与赵某相邻通行纠纷")
        transfers.create(
            db,
            who(db, world, "a.clerk"),
            routed,
            to_org_id=str(world.org("a_med").id),
            kind="移送",
            letter="请予调解，材料随函附送。",
        )
        other = intake(db, world, by="b1.mediator", org="b1", title="乙县的纠纷")
    return world, worked.id, other.id


def empty_cases(engine) -> None:  # noqa: ANN001
    with transaction(engine) as db:
        for model in (CaseEvent, CaseRecord, Transfer, CaseMediator, Party, CaseFile, Case, CaseSequence):
            db.exec(delete(model))


def case_count(engine) -> int:  # noqa: ANN001
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(Case)).one()


def ledger(engine, org=None) -> list[dict]:  # noqa: ANN001
    with Session(engine) as db:
        return [json.loads(line) for line in export_all(db, org)]


def run_import(engine, content: bytes, *, scope=None, dry_run: bool = False) -> importer.Report:  # noqa: ANN001
    with transaction(engine) as db:
        return importer.import_file(db, content, scope or importer.cli_scope(None), dry_run=dry_run, actor_name="测试")


def jsonl(*lines: dict) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


def simple_line(org: str = "甲县东镇人民调解委员会", **extra) -> dict:  # noqa: ANN003
    return {
        "org": {"name": org},
        "title": "导入的纠纷",
        "channel": "来访",
        "dispute_type": "0201",
        "summary": "通行受阻。",
        "received_on": "2025-03-01",
        "parties": [{"role": "申请人", "name": "陈某", "id_type": "resident_id", "id_number": VALID_ID}],
        **extra,
    }


def test_export_then_import_into_an_emptied_database_then_export_again_gives_the_same_ledger(engine) -> None:
    build_cases(engine)
    first = ledger(engine)
    assert len(first) == 3
    worked = next(line for line in first if line["state"] == "mediating")
    assert worked["mediators"][0]["username"] == "a1.mediator" and worked["records"][0]["kind"] == "mediation"
    assert worked["parties"][0]["id_number"] == VALID_ID and worked["amount"] == "1200.50"
    assert any(
        line["transfers"] and line["transfers"][0]["to"]["name"] == "甲县医疗纠纷人民调解委员会" for line in first
    )
    empty_cases(engine)
    report = run_import(engine, jsonl(*first))
    assert report.ok and report.imported == 3, report.errors
    assert ledger(engine) == first
    # The committee's counter moved past the imported numbers: the next intake does not collide.
    world_case = intake_after_import(engine)
    assert world_case.number_seq == max(line["number"]["seq"] for line in first if line["number"]["prefix"] == "东") + 1


def intake_after_import(engine) -> Case:  # noqa: ANN001
    with transaction(engine) as db:
        org = db.exec(select(Case).where(Case.number_prefix == "东")).first()
        person = db.exec(select(Person).where(Person.username == "a.clerk")).one()
        form = service.CaseForm(
            title="新案", channel="来访", dispute_type="0301", summary="新。", org_id=str(org.org_id), received_on=TODAY
        )
        return service.intake(
            db, load_principal(db, person), form, parties=[parties.PartyForm(role="申请人", name="新某")]
        )


def test_one_bad_line_imports_nothing_and_names_the_line_and_the_field(engine) -> None:
    build_world(engine)
    bad = simple_line(parties=[{"role": "申请人", "name": "陈某", "id_type": "resident_id", "id_number": BAD_ID}])
    report = run_import(engine, jsonl(simple_line(), bad, simple_line(title="")) + b"{not json\n")
    assert not report.ok and report.imported == 0 and report.lines == 4
    assert "第 2 行：parties[0].id_number：身份证号码校验位不正确，请核对。" in report.errors
    assert any(e.startswith("第 3 行：title：") for e in report.errors)
    assert any(e.startswith("第 4 行：不是有效的 JSON 对象") for e in report.errors)
    assert case_count(engine) == 0


def test_record_fields_and_numbers_are_checked_with_the_domain_rules(engine) -> None:
    build_world(engine)
    numbered = simple_line(number={"year": 2025, "prefix": "东", "seq": 7})
    records = simple_line(records=[{"kind": "mediation", "fields": {"held_on": "2025-03-02"}}, {"kind": "nonsense"}])
    report = run_import(engine, jsonl(numbered, numbered, records, simple_line(mediators=["nobody"])))
    assert "第 2 行：number：案号与第 1 行重复。" in report.errors
    assert "第 3 行：records[0].fields.place：请填写调解地点。" in report.errors
    assert any(e.startswith("第 3 行：records[1].kind：") for e in report.errors)
    assert "第 4 行：mediators[0]：没有登录名为“nobody”的人员，或该人员不在您的导入范围内。" in report.errors
    assert case_count(engine) == 0


def test_a_dry_run_checks_everything_and_saves_nothing(engine) -> None:
    build_world(engine)
    report = run_import(engine, jsonl(simple_line(), simple_line()), dry_run=True)
    assert report.ok and report.dry_run and report.lines == 2 and report.imported == 0
    assert case_count(engine) == 0
    with Session(engine) as db:
        assert not db.exec(select(AuditEntry).where(AuditEntry.action == "import.cases")).first()
        assert "2 件无误" in db.exec(select(AuditEntry).where(AuditEntry.action == "import.checked")).one().summary


CSV_TEXT = (
    "案件名称,来源渠道,纠纷类型,纠纷简要情况,涉及金额,收到日期,申请人,被申请人\n"
    "刘某与周某噪音纠纷,来访,噪音滴水纠纷,楼上噪音。,300,2025-02-01,刘某,周某、周某某\n"
    "何某讨薪,电话,1001,拖欠工资。,,2025-02-03,何某,某建筑公司\n"
)


def test_a_csv_with_chinese_headers_imports_cases_and_their_parties(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        scope = importer.web_scope(who(db, world, "a.clerk"), db.get(type(world.org("a1")), world.org("a1").id))
    report = run_import(engine, CSV_TEXT.encode("gb18030"), scope=scope)
    assert report.ok and report.imported == 2 and report.kind == "CSV 表格", report.errors
    with Session(engine) as db:
        case = db.exec(select(Case).where(Case.title == "刘某与周某噪音纠纷")).one()
        assert (
            case.dispute_type == "0202"
            and case.org_id == world.org("a1").id
            and case.number.startswith("（2025）东人调字第")
        )
        names = [
            (p.role, p.name)
            for p in db.exec(select(Party).where(Party.case_id == case.id).order_by(Party.sort_order)).all()
        ]
        assert names == [("申请人", "刘某"), ("被申请人", "周某"), ("被申请人", "周某某")]


def test_an_xlsx_with_english_headers_imports_and_reports_rows_by_number(engine) -> None:
    from openpyxl import Workbook

    build_world(engine)
    book = Workbook()
    sheet = book.active
    sheet.append(["org", "title", "channel", "dispute_type", "summary", "received_on", "applicants", "respondents"])
    sheet.append(["东", "表格导入的纠纷", "来访", "0301", "宅基地。", date(2025, 1, 5), "吴某", "郑某"])
    sheet.append(["东", "缺渠道的纠纷", "", "0301", "宅基地。", date(2025, 1, 6), "吴某", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    report = run_import(engine, buffer.getvalue())
    assert report.kind == "Excel 表格" and report.errors == ["第 3 行：channel：请选择来源渠道。"]
    assert case_count(engine) == 0
    sheet.delete_rows(3)
    buffer = io.BytesIO()
    book.save(buffer)
    assert run_import(engine, buffer.getvalue()).imported == 1
    with Session(engine) as db:
        assert db.exec(select(Case).where(Case.title == "表格导入的纠纷")).one().received_on == date(2025, 1, 5)


def test_an_organisation_outside_the_importers_scope_is_refused_with_the_line_number(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        scope = importer.web_scope(who(db, world, "a.clerk"), None)
    tampered = [
        simple_line(),
        simple_line(org="乙县西镇人民调解委员会"),
        {**simple_line(), "org": {"id": world.org("b1").id}},
        {**simple_line(), "org": {"id": world.org("a1").id, "name": "乙县西镇人民调解委员会"}},
    ]
    report = run_import(engine, jsonl(*tampered), scope=scope)
    assert report.errors == [f"第 {n} 行：org：机构不存在或不在您的导入范围内。" for n in (2, 3, 4)]
    assert case_count(engine) == 0


def test_the_upload_page_imports_a_file_for_a_clerk_and_audits_it(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.clerk")
    form = client.get(f"/ledger/import?org={world.org('a1').id}")
    assert form.status_code == 200
    assert BeautifulSoup(form.text, "html.parser").select_one(
        "form[enctype='multipart/form-data'] input[type=file][name=file]"
    )
    content = jsonl(simple_line(), simple_line(title="第二件"))
    dry = client.post(
        "/ledger/import",
        data={"org_id": str(world.org("a1").id), "dry_run": "1", "_csrf_token": csrf(client)},
        files={"file": ("ledger.txt", content, "application/octet-stream")},
    )
    assert dry.status_code == 200 and "试导入：检查通过，未保存" in dry.text and case_count(engine) == 0
    done = client.post(
        "/ledger/import",
        data={"org_id": "", "_csrf_token": csrf(client)},
        files={"file": ("ledger.jsonl", content, "application/json")},
    )
    report = BeautifulSoup(done.text, "html.parser").select_one("#import-report")
    assert done.status_code == 200 and "导入完成" in report.text and "已导入 2 件" in report.text
    assert case_count(engine) == 2
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "import.cases")).one()
        assert entry.actor_name == "甲受理员" and "2 件" in entry.summary


def test_the_upload_page_shows_the_line_numbered_report_and_saves_nothing(client, engine) -> None:
    build_world(engine)
    sign_in(client, "a.director")
    bad = simple_line(parties=[{"role": "申请人", "name": "陈某", "id_type": "resident_id", "id_number": BAD_ID}])
    response = client.post(
        "/ledger/import",
        data={"_csrf_token": csrf(client)},
        files={"file": ("a.jsonl", jsonl(simple_line(), bad), "text/plain")},
    )
    assert response.status_code == 422
    items = [li.text for li in BeautifulSoup(response.text, "html.parser").select("#import-report li")]
    assert items == ["第 2 行：parties[0].id_number：身份证号码校验位不正确，请核对。"]
    assert case_count(engine) == 0
    with Session(engine) as db:  # the refused attempt itself is on the audit trail
        refused = db.exec(select(AuditEntry).where(AuditEntry.action == "import.refused")).one()
        assert refused.actor_name == "甲调委会主任" and "1 处错误" in refused.summary and "第 2 行" in refused.summary


def test_an_oversize_or_non_ledger_file_is_refused_with_a_clear_message(client, engine, settings) -> None:
    build_world(engine)
    sign_in(client, "a.clerk")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    wrong = client.post(
        "/ledger/import", data={"_csrf_token": csrf(client)}, files={"file": ("cases.csv", png, "text/csv")}
    )
    assert wrong.status_code == 415 and "不是文本文件" in wrong.text
    fake_zip = b"PK\x03\x04" + bytes(100)
    assert (
        client.post(
            "/ledger/import",
            data={"_csrf_token": csrf(client)},
            files={"file": ("c.xlsx", fake_zip, "application/vnd.ms-excel")},
        ).status_code
        == 415
    )
    settings.upload_max_mb = 1  # the handler reads the limit per request
    big = jsonl(simple_line()) + b" " * (1024 * 1024)
    oversize = client.post(
        "/ledger/import", data={"_csrf_token": csrf(client)}, files={"file": ("big.jsonl", big, "application/json")}
    )
    assert oversize.status_code == 413 and "超过了 1 MB 的上限" in oversize.text
    assert case_count(engine) == 0


def test_importing_into_an_out_of_scope_organisation_through_the_page_is_not_found(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.clerk")
    response = client.post(
        "/ledger/import",
        data={"org_id": str(world.org("b1").id), "_csrf_token": csrf(client)},
        files={"file": ("a.jsonl", jsonl(simple_line()), "text/plain")},
    )
    assert response.status_code == 404 and world.org("b1").name not in response.text
    tampered = client.post(
        "/ledger/import",
        data={"_csrf_token": csrf(client)},
        files={"file": ("a.jsonl", jsonl(simple_line(org="乙县西镇人民调解委员会")), "text/plain")},
    )
    assert tampered.status_code == 422 and "第 1 行：org：机构不存在或不在您的导入范围内。" in tampered.text
    assert case_count(engine) == 0


def test_the_web_export_has_only_visible_cases_masks_what_the_reader_may_not_see_and_is_audited(client, engine) -> None:
    build_cases(engine)
    sign_in(client, "a.clerk")
    response = client.get("/ledger/export")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["content-disposition"]
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) == 2 and "乙县的纠纷" not in response.text
    assert lines[0]["parties"][0]["id_number"] == VALID_ID  # a clerk over the committee may see personal data
    client.cookies.clear()
    sign_in(client, "a.supervisor")
    masked = [json.loads(line) for line in client.get("/ledger/export").text.splitlines()]
    assert masked[0]["parties"][0]["id_number"] == "110105********002X" and masked[0]["parties"][0]["masked"] is True
    with Session(engine) as db:
        entries = db.exec(select(AuditEntry).where(AuditEntry.action == "export.cases").order_by(AuditEntry.seq)).all()
    assert [e.actor_name for e in entries] == ["甲受理员", "甲督导"] and "2 件" in entries[0].summary
    report = run_import(engine, jsonl(masked[0]))
    assert "第 1 行：parties[0].id_number：证件号码和电话已打码，不能导入；请用有权查看的账户导出。" in report.errors


def test_the_command_line_exports_one_subtree_and_imports_with_a_dry_run(
    engine, settings, tmp_path, monkeypatch
) -> None:
    from portal import cli

    world, _, _ = build_cases(engine)
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    runner = CliRunner()
    out = tmp_path / "a.jsonl"
    result = runner.invoke(cli.main, ["export", "--org-id", str(world.org("a").id), "--output", str(out)])
    assert result.exit_code == 0, result.output
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(exported) == 2 and all(line["org"]["name"].startswith("甲县") for line in exported)
    empty_cases(engine)
    result = runner.invoke(cli.main, ["import", str(out), "--dry-run"])
    assert result.exit_code == 0 and "检查通过" in result.output and case_count(engine) == 0
    result = runner.invoke(cli.main, ["import", str(out), "--org-id", str(world.org("b").id)])
    assert (
        result.exit_code == 1
        and "第 1 行：org：机构不存在或不在您的导入范围内。" in result.output
        and case_count(engine) == 0
    )
    result = runner.invoke(cli.main, ["import", str(out)])
    assert result.exit_code == 0 and "已导入 2 件" in result.output
    assert ledger(engine) == exported
    with Session(engine) as db:
        actions = [
            e.action
            for e in db.exec(select(AuditEntry).where(AuditEntry.actor_name.in_(["命令行导入", "命令行导出"]))).all()
        ]
    assert sorted(actions) == ["export.cases", "import.cases", "import.checked", "import.refused"]
    assert CaseState.MEDIATING.value in {line["state"] for line in exported}
