"""Filing through the portal: an incomplete dossier is refused, a complete one is bound in the background,
stored with its SHA-256 and freezes the case; a correction opens a new version; verify finds one changed byte."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from factories import build_world, csrf, sign_in
from matrix_cases import insert_case
from sqlmodel import Session, select

from archive import samples
from portal import clock
from portal.cases import files
from portal.cases.models import Case, CaseFile, CaseMediator, CaseRecord, CaseState
from portal.dossiers import jobs
from portal.dossiers.models import BindingJob, DossierVersion, SignedScan


def _ready_case(engine, settings, world, *, signed: bool = True) -> int:  # noqa: ANN001
    today = clock.today()
    with Session(engine) as db:
        case = insert_case(db, world, "a1a", state=CaseState.EVALUATED)
        case = db.get(Case, case.id)
        case.accepted_on, case.closed_on, case.outcome, case.received_on = (
            today,
            today,
            "written",
            today - timedelta(days=3),
        )
        db.add(case)
        db.add(CaseMediator(case_id=case.id, person_id=world.person("a1.mediator").id, lead=True))
        day = today.isoformat()
        kinds = {
            "mediation": {
                "held_on": day,
                "place": "调解室",
                "mediators": "东镇调解员",
                "parties_present": "张某、李某",
                "content": "调解经过",
                "result": "达成协议",
            },
            "agreement": {
                "facts": "事实",
                "responsibilities": "责任",
                "terms": "协议内容",
                "performance_method": "现金",
                "performance_deadline": "当日",
                "copies": "3",
                "signed_on": day,
            },
            "closure": {"closed_on": day, "summary": "已履行"},
            "followup": {
                "held_on": day,
                "method": "电话",
                "visitor": "东镇调解员",
                "performance": "全部履行",
                "satisfaction": "满意",
                "risk": "无",
                "actions": "",
            },
        }
        refs = {}
        for kind, fields in kinds.items():
            record = CaseRecord(case_id=case.id, kind=kind, held_on=today, fields=fields)
            db.add(record)
            db.flush()
            refs[kind] = record.id
        uploads = [("当事人身份证明", "身份证.jpg", None)]
        # every document printed with signature lines is filed signed; the agreement's scan last (unsigned=False
        # leaves the three the parties sign, so the pre-check has something to name)
        uploads += [
            ("签字文书扫描件", "申请书签字.jpg", "application"),
            ("签字文书扫描件", "登记表签字.jpg", "registration"),
            ("签字文书扫描件", "结案报告表签字.jpg", f"closure:{refs['closure']}"),
            ("签字文书扫描件", "回访记录签字.jpg", f"followup:{refs['followup']}"),
        ]
        if signed:
            uploads += [
                ("签字文书扫描件", "告知书签字.jpg", "rights"),
                ("签字文书扫描件", "调解记录签字.jpg", f"mediation:{refs['mediation']}"),
                ("签字文书扫描件", "协议书签字.jpg", f"agreement:{refs['agreement']}"),
            ]
        for n, (doc_type, name, key) in enumerate(uploads):
            data = samples.scan(620, 877, seed=n)
            digest, storage_key = files.store(settings.uploads_dir, data)
            record = CaseFile(
                case_id=case.id,
                doc_type=doc_type,
                filename=name,
                media_type="image/jpeg",
                size=len(data),
                sha256=digest,
                storage_key=storage_key,
                uploaded_by=world.person("a.clerk").id,
            )
            db.add(record)
            db.flush()
            if key:
                db.add(SignedScan(case_id=case.id, file_id=record.id, doc_key=key))
        db.commit()
        return case.id


def _file(client, case_id: int, **extra: str):  # noqa: ANN001, ANN201
    form = {
        "filed_by": "甲档案员",
        "checked_by": "甲调委会主任",
        "retention": "30年",
        "_csrf_token": csrf(client),
        **extra,
    }
    return client.post(f"/cases/{case_id}/dossier/file", data=form, follow_redirects=False)


def test_filing_freezes_the_case_keeps_versions_and_verify_reports_a_changed_byte(client, engine, settings) -> None:
    world = build_world(engine)
    case_id = _ready_case(engine, settings, world)
    assert sign_in(client, "a.archivist").status_code == 303
    page = client.get(f"/cases/{case_id}/dossier")
    assert "必备材料齐全" in page.text and "30年" in page.text
    assert _file(client, case_id).status_code == 303
    with Session(engine) as db:
        job = db.exec(select(BindingJob).where(BindingJob.case_id == case_id)).one()
    job = jobs.wait(engine, job.id, timeout=90)
    assert job.status == "done", job.error
    with Session(engine) as db:
        case = db.get(Case, case_id)
        version = db.exec(select(DossierVersion).where(DossierVersion.case_id == case_id)).one()
        assert case.archived_at is not None and version.status == "filed" and version.retention == "30年"
        assert (
            version.filed_by_name == "甲档案员"
            and version.checker_name == "甲调委会主任"
            and version.retention_ends_on is not None
        )
    download = client.get(f"/cases/{case_id}/dossier/versions/{version.id}")
    assert (
        download.status_code == 200 and download.content.startswith(b"%PDF") and len(download.content) == version.size
    )
    assert (settings.archive_dir / version.storage_key).is_file()

    # the state stays 已评价（待立卷）; lists, the case page and the API say it is filed
    row = next(tr for tr in client.get("/cases").text.split("<tr>") if f'/cases/{case_id}"' in tr)
    assert "已评价（待立卷）" in row and "已立卷归档" in row
    assert "data-archived" in client.get(f"/cases/{case_id}").text
    listed = {i["id"]: i for i in client.get("/api/cases").json()["items"]}
    assert (
        listed[case_id]["filed"] is True and listed[case_id]["archived_at"] and listed[case_id]["state"] == "evaluated"
    )
    detail = client.get(f"/api/cases/{case_id}").json()
    assert detail["filed"] is True and detail["archived_at"]

    # frozen: the clerk's edits are refused with the reason
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a.clerk")
    case_page = client.get(f"/cases/{case_id}").text
    assert (
        "已立卷归档" in case_page
        and 'id="actions"' not in case_page
        and "添加评价" not in case_page
        and "修改基本信息" not in case_page
    )
    refused = client.post(
        f"/cases/{case_id}/records",
        data={"kind": "evaluation", "source": "网上评价", "score": "5", "_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert refused.status_code == 403 and "已立卷归档" in refused.text
    upload = client.post(
        f"/cases/{case_id}/files",
        data={"doc_type": "证据材料", "_csrf_token": csrf(client)},
        files={"file": ("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        follow_redirects=False,
    )
    assert upload.status_code == 403

    # a correction reopens; filing again needs a reason and makes version 2; version 1 stays downloadable
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a.archivist")
    assert (
        client.post(
            f"/cases/{case_id}/dossier/correct",
            data={"reason": "补充证据", "_csrf_token": csrf(client)},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert _file(client, case_id).status_code == 422
    assert _file(client, case_id, reason="补充证据后重新立卷").status_code == 303
    with Session(engine) as db:
        second = db.exec(select(BindingJob).where(BindingJob.case_id == case_id).order_by(BindingJob.id.desc())).first()
    assert jobs.wait(engine, second.id, timeout=90).status == "done"
    with Session(engine) as db:
        versions = {v.version: v for v in db.exec(select(DossierVersion).where(DossierVersion.case_id == case_id))}
    assert (versions[1].status, versions[2].status, versions[2].reason) == ("superseded", "filed", "补充证据后重新立卷")
    assert client.get(f"/cases/{case_id}/dossier/versions/{versions[1].id}").status_code == 200

    # fixity: one changed byte is reported, with exit code 1
    path = settings.archive_dir / versions[1].storage_key
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    from portal.cli import main

    env = {"PORTAL_DATABASE_URL": settings.effective_database_url, "PORTAL_DATA_DIR": str(settings.data_dir)}
    result = CliRunner().invoke(main, ["archive", "verify"], env=env)
    assert result.exit_code == 1 and "被改动" in result.output and "被改动 1 个" in result.output
    assert "发现问题" in client.get("/archive/fixity").text


def test_an_incomplete_dossier_cannot_be_filed_and_the_message_names_what_to_add(client, engine, settings) -> None:
    world = build_world(engine)
    case_id = _ready_case(engine, settings, world, signed=False)
    sign_in(client, "a.archivist")
    response = _file(client, case_id, notes="已写好的备注")
    assert response.status_code == 422  # the dossier page again, the form as typed, every gap listed
    assert "卷宗不完整" in response.text and "人民调解协议书尚未签字" in response.text
    assert 'value="已写好的备注"' in response.text and "立卷归档" in response.text
    with Session(engine) as db:
        assert db.get(Case, case_id).archived_at is None and not db.exec(select(BindingJob)).first()


def test_a_bad_signed_scan_is_refused_with_a_message(client, engine, settings) -> None:
    world = build_world(engine)
    case_id = _ready_case(engine, settings, world, signed=False)
    sign_in(client, "a.clerk")
    response = client.post(
        f"/cases/{case_id}/dossier/scans",
        data={"doc_key": "rights", "_csrf_token": csrf(client)},
        files={"file": ("坏.pdf", b"%PDF-1.4 broken", "application/pdf")},
    )
    assert "不是完好的 PDF" in response.text
    good = client.post(
        f"/cases/{case_id}/dossier/scans",
        data={"doc_key": "rights", "_csrf_token": csrf(client)},
        files={"file": ("告知书.jpg", samples.scan(300, 424), "image/jpeg")},
    )
    assert "已上传签字扫描件" in good.text and "当事人权利义务告知书尚未签字" not in good.text


def test_one_worker_process_keeps_the_fixity_schedule(engine, settings) -> None:
    from portal.dossiers import fixity
    from portal.dossiers.models import FixityRun

    first, second = (
        fixity.Scheduler(engine, settings),
        fixity.Scheduler(engine, settings),
    )  # two workers, one data dir
    assert first.run_once() and not second.run_once()
    first.stop()  # that worker is gone: the other takes the schedule over at its next turn
    assert second.run_once()
    second.stop()
    with Session(engine) as db:
        assert [r.trigger for r in db.exec(select(FixityRun))] == ["schedule", "schedule"]


def test_a_restarting_worker_fails_only_the_jobs_of_stopped_processes(engine, settings) -> None:
    import os
    import socket

    world = build_world(engine)
    here = socket.gethostname()
    workers = {
        "alive": f"{here}:{os.getppid()}",  # another worker, still binding
        "ended": f"{here}:{2**22 + 1}",  # beyond Linux's largest pid: no such process any more
        "elsewhere": "other-host:1",
        "unknown": None,
    }
    with Session(engine) as db:
        cases = {name: insert_case(db, world, "a1a").id for name in workers}  # one running job per case at most
        for name, worker in workers.items():
            db.add(
                BindingJob(
                    case_id=cases[name],
                    status="running",
                    params={"worker": worker} if worker else {},
                    requested_by=world.person("a.archivist").id,
                    message=name,
                )
            )
        db.commit()
    assert jobs.recover_interrupted(engine) == 2
    with Session(engine) as db:
        status = {j.message: j.status for j in db.exec(select(BindingJob))}
    assert status == {"alive": "running", "ended": "failed", "elsewhere": "running", "unknown": "failed"}
