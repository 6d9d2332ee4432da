"""Case materials: checked by content and size, stored once by SHA-256, downloads scoped and audited."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from factories import build_world
from sqlmodel import Session, select

from portal import clock
from portal.audit.models import AuditEntry
from portal.cases import files, parties, service
from portal.cases.models import CaseFile, CaseState
from portal.db import utcnow
from portal.errors import Forbidden, Invalid
from portal.people.models import Person
from portal.scope import load_principal

# The smallest PDF a reader opens (one blank page): uploads must open, as they are checked inside (files.refusal).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def make_case(db: Session, world, org: str = "a1"):  # noqa: ANN001, ANN201
    clerk = load_principal(db, db.get(Person, world.person("a.clerk").id))
    form = service.CaseForm(
        title="物业费纠纷",
        channel="来访",
        dispute_type="15",
        summary="拖欠物业费",
        org_id=str(world.org(org).id),
        received_on=clock.today().isoformat(),
    )
    return service.intake(db, clerk, form, parties=[parties.PartyForm(role="申请人", name="王某")]), clerk


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (b"\xff\xd8\xff\xe0" + b"0" * 20, "image/jpeg")],
)
def test_files_are_recognised_by_their_content(data: bytes, media_type: str) -> None:
    assert files.sniff(data[:16], data).media_type == media_type


def test_office_documents_are_told_apart_inside_the_zip() -> None:
    data = docx()
    assert files.sniff(data[:16], data).extension == "docx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("payload.exe", "MZ")
    assert files.sniff(buffer.getvalue()[:16], buffer.getvalue()) is None


def test_an_upload_is_stored_once_by_its_hash_and_recorded(engine, tmp_path) -> None:
    tmp_path = tmp_path / "uploads"
    world = build_world(engine)
    with Session(engine) as db:
        case, clerk = make_case(db, world)
        first = files.upload(
            db,
            clerk,
            case,
            filename="../../身份证.pdf",
            data=PDF,
            doc_type="当事人身份证明",
            root=tmp_path,
            max_bytes=1 << 20,
        )
        again = files.upload(
            db, clerk, case, filename="copy.pdf", data=PDF, doc_type="证据材料", root=tmp_path, max_bytes=1 << 20
        )
        db.commit()
        assert first.sha256 == hashlib.sha256(PDF).hexdigest() == again.sha256
        assert first.filename == "身份证.pdf"  # no path from the browser survives
        assert (tmp_path / first.storage_key).read_bytes() == PDF
        assert len(list(tmp_path.rglob("*.pdf"))) == 0 and len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
        assert files.read(tmp_path, first) == PDF


def test_disguised_oversized_and_empty_uploads_are_refused_with_reasons(engine, tmp_path) -> None:
    tmp_path = tmp_path / "uploads"
    world = build_world(engine)
    with Session(engine) as db:
        case, clerk = make_case(db, world)
        with pytest.raises(Invalid) as disguised:
            files.upload(
                db,
                clerk,
                case,
                filename="scan.pdf",
                data=b"MZ\x90\x00 not a pdf",
                doc_type="证据材料",
                root=tmp_path,
                max_bytes=1 << 20,
            )
        assert "按文件内容判断" in disguised.value.errors["file"]
        with pytest.raises(Invalid) as too_big:
            files.upload(
                db,
                clerk,
                case,
                filename="big.pdf",
                data=PDF + b"0" * 2048,
                doc_type="证据材料",
                root=tmp_path,
                max_bytes=1024,
            )
        assert "不能超过" in too_big.value.errors["file"]
        with pytest.raises(Invalid) as empty:
            files.upload(db, clerk, case, filename="", data=b"", doc_type="", root=tmp_path, max_bytes=1024)
        assert set(empty.value.errors) == {"file", "doc_type"}
        assert db.exec(select(CaseFile)).all() == [] and not tmp_path.exists()


def test_a_changed_stored_file_is_never_served(engine, tmp_path) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case, clerk = make_case(db, world)
        record = files.upload(
            db, clerk, case, filename="a.png", data=PNG, doc_type="证据材料", root=tmp_path, max_bytes=1 << 20
        )
        (tmp_path / record.storage_key).write_bytes(PNG + b"tampered")
        with pytest.raises(RuntimeError, match="SHA-256"):
            files.read(tmp_path, record)


def test_the_handling_body_uploads_the_archivist_completes_the_dossier_and_filing_ends_it(engine, tmp_path) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case, _ = make_case(db, world)
        supervisor = load_principal(db, db.get(Person, world.person("a.supervisor").id))
        archivist = load_principal(db, db.get(Person, world.person("a.archivist").id))
        clerk = load_principal(db, db.get(Person, world.person("a.clerk").id))
        for outsider in (supervisor, archivist):  # while the case is worked, only the handling body adds materials
            with pytest.raises(Forbidden):
                files.upload(
                    db,
                    outsider,
                    case,
                    filename="a.pdf",
                    data=PDF,
                    doc_type="证据材料",
                    root=tmp_path,
                    max_bytes=1 << 20,
                )
        case.state = CaseState.EVALUATED  # the dossier is assembled: what it lacks may still be added, nothing removed
        added = files.upload(
            db,
            archivist,
            case,
            filename="id.pdf",
            data=PDF,
            doc_type="当事人身份证明",
            root=tmp_path,
            max_bytes=1 << 20,
        )
        assert added.doc_type == "当事人身份证明"
        with pytest.raises(Forbidden, match="不能再删除"):
            files.remove(db, clerk, case, added.id)
        case.archived_at = utcnow()  # filed: frozen for everyone
        with pytest.raises(Forbidden, match="已立卷归档"):
            files.upload(
                db, clerk, case, filename="a.pdf", data=PDF, doc_type="证据材料", root=tmp_path, max_bytes=1 << 20
            )


def test_removal_keeps_the_bytes_and_is_audited(engine, tmp_path) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case, clerk = make_case(db, world)
        record = files.upload(
            db, clerk, case, filename="a.pdf", data=PDF, doc_type="证据材料", root=tmp_path, max_bytes=1 << 20
        )
        files.remove(db, clerk, case, record.id)
        db.commit()
        assert files.files_of(db, case) == [] and (tmp_path / record.storage_key).exists()
        actions = db.exec(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
        assert actions[-2:] == ["case.upload", "case.remove_file"]


def test_uploading_through_the_case_page_then_downloading_is_audited(client, engine) -> None:
    from factories import sign_in

    world = build_world(engine)
    with Session(engine) as db:
        case, _ = make_case(db, world)
        db.commit()
        case_id = case.id
    sign_in(client, "a.clerk")
    token = client.cookies.get("portal_csrf")
    response = client.post(
        f"/cases/{case_id}/files",
        data={"doc_type": "证据材料", "_csrf_token": token},
        files={"file": ("协议 扫描.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "已上传：协议 扫描.pdf" in page and "协议 扫描.pdf" in page and hashlib.sha256(PDF).hexdigest()[:12] in page
    disguised = client.post(
        f"/cases/{case_id}/files",
        data={"doc_type": "证据材料", "_csrf_token": token},
        files={"file": ("photo.jpg", b"#!/bin/sh\nrm -rf /\n", "image/jpeg")},
    )
    assert "上传未成功" in disguised.text and "按文件内容判断" in disguised.text
    with Session(engine) as db:
        stored = db.exec(select(CaseFile)).one()
    download = client.get(f"/cases/{case_id}/files/{stored.id}")
    assert (
        download.status_code == 200
        and download.content == PDF
        and download.headers["content-type"] == "application/pdf"
    )
    assert "attachment" in download.headers["content-disposition"]
    with Session(engine) as db:
        assert (
            db.exec(select(AuditEntry).where(AuditEntry.action == "case.download"))
            .one()
            .summary.startswith("下载材料 协议 扫描.pdf")
        )


def test_a_request_over_the_size_limit_gets_a_clear_message(client, engine, settings) -> None:
    from factories import sign_in

    world = build_world(engine)
    with Session(engine) as db:
        case, _ = make_case(db, world)
        db.commit()
        case_id = case.id
    sign_in(client, "a.clerk")
    huge = PDF + b"0" * ((settings.upload_max_mb + 1) * 1048576 + 10)
    response = client.post(
        f"/cases/{case_id}/files",
        data={"doc_type": "证据材料", "_csrf_token": client.cookies.get("portal_csrf")},
        files={"file": ("huge.pdf", huge, "application/pdf")},
    )
    assert response.status_code == 400 and "不能超过" in response.text
