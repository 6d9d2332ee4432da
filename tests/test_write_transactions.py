"""Slow work happens outside write transactions: while a ledger workbook is read, or the text of a PDF extracted for
the index, nobody else's write waits (on SQLite a write transaction holds the whole database's write lock); a
workbook that unpacks to far more than the upload limit is refused before it is read; a PDF's text is extracted once."""

from __future__ import annotations

import io
import sqlite3
import zlib

import pytest
from factories import build_world, csrf, sign_in
from matrix_cases import insert_case
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from portal.cases.access import touch
from portal.cases.files import store
from portal.cases.models import Case, CaseFile
from portal.ledger import flat
from portal.searching import documents
from portal.searching.indexer import Indexer


def nobody_is_writing(engine) -> bool:  # noqa: ANN001
    """SQLite: another connection takes the write lock at once. PostgreSQL: no session of the database is inside a
    transaction (the request has not begun one)."""
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(make_url(str(engine.url)).database, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    with engine.connect() as conn:
        busy = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
            )
        ).scalar_one()
    return busy == 0


def workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_ledger_workbook_is_read_before_the_write_transaction_begins(client, engine, monkeypatch) -> None:
    build_world(engine)
    sign_in(client, "a.clerk")
    seen = []
    read = flat.xlsx_rows

    def watched(content: bytes):  # noqa: ANN202
        seen.append(nobody_is_writing(engine))
        yield from read(content)

    monkeypatch.setattr(flat, "xlsx_rows", watched)
    content = workbook([["案件名称", "办理机构"], ["张某与李某宅基地纠纷", "甲县东镇人民调解委员会"]])
    response = client.post(
        "/ledger/import",
        data={"_csrf_token": csrf(client), "dry_run": "1"},
        files={"file": ("台账.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
    )
    assert response.status_code == 422  # read, and checked (the row lacks required fields)
    assert seen == [True]


def test_a_workbook_that_unpacks_far_beyond_the_upload_limit_is_refused_unread(client, engine, settings) -> None:
    build_world(engine)
    sign_in(client, "a.clerk")
    settings.upload_max_mb = 1  # the handler reads the limit per request
    content = workbook([["案件名称"], *([f"{n}" + "重复" * 16000] for n in range(300))])  # ~29 MB of XML unpacked
    assert len(content) < 1024 * 1024
    response = client.post(
        "/ledger/import",
        data={"_csrf_token": csrf(client)},
        files={"file": ("炸弹.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
    )
    assert response.status_code == 413 and "解压后" in response.text and "4 MB" in response.text


def text_pdf(words: str) -> bytes:
    """A one-page PDF whose text pypdf reads back (ASCII, a standard font)."""
    content = zlib.compress(f"BT /F1 12 Tf 72 720 Td ({words}) Tj ET".encode())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - the test drives the indexer itself
    settings.indexer_in_server = False
    return settings


def test_the_indexer_reads_a_pdf_once_and_never_inside_a_write_transaction(engine, settings, monkeypatch) -> None:
    world = build_world(engine)
    data = text_pdf("Weighbridge agreement 4711")
    digest, key = store(settings.uploads_dir, data)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
        db.add(
            CaseFile(
                case_id=case.id,
                doc_type="证据材料",
                filename="协议.pdf",
                media_type="application/pdf",
                size=len(data),
                sha256=digest,
                storage_key=key,
                uploaded_by=world.person("a.clerk").id,
            )
        )
        db.commit()
    extracted = []
    extract = documents._extract

    def watched(source):  # noqa: ANN001, ANN202
        extracted.append(nobody_is_writing(engine))
        return extract(source)

    monkeypatch.setattr(documents, "_extract", watched)
    indexer = Indexer(settings, engine)
    indexer.ensure_index()  # builds the index: the file is read here
    indexer.drain()
    for _ in range(2):  # two more changes of the case: indexed again, the file not read again
        with Session(engine) as db:
            again = db.get(Case, case.id)
            touch(again)
            db.add(again)
            db.commit()
        indexer.drain()
    assert extracted == [True]
    with Session(engine) as db:
        (doc,), _ = indexer.build(db, [case.id])
    assert "Weighbridge agreement 4711" in doc.text
    assert list((settings.data_dir / "texts").rglob(f"{digest}.json"))
    with Session(engine) as db:
        assert db.exec(select(CaseFile.sha256)).all() == [digest]


def test_a_change_that_waits_for_a_lock_past_the_timeout_is_answered_503_and_saves_nothing(
    settings, engine, monkeypatch
) -> None:
    from litestar.testing import TestClient

    from portal import db as db_module
    from portal import writers
    from portal.app import create_app
    from portal.cases.service import CaseForm

    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
    monkeypatch.setattr(db_module, "BUSY_SECONDS", 1)  # the app's engine waits 1 s for a lock instead of 15
    monkeypatch.setattr(writers, "BUSY_SECONDS", 1)
    with TestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        sign_in(client, "a.clerk")
        form = {**{k: str(v) for k, v in vars(CaseForm.of(case)).items()}, "title": "锁住时的修改"}
        holder = engine.connect()  # another writer holds the case (and on SQLite the whole database) meanwhile
        try:
            if engine.dialect.name == "sqlite":
                holder.execute(text("SELECT 1"))  # the engine's writers begin with BEGIN IMMEDIATE
            else:
                holder.execute(text('SELECT id FROM "case" WHERE id = :id FOR UPDATE'), {"id": case.id})
            response = client.post(
                f"/cases/{case.id}/edit", data={**form, "_csrf_token": csrf(client)}, follow_redirects=False
            )
        finally:
            holder.rollback()
            holder.close()
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert "系统繁忙，请稍后重试" in response.text
    with Session(engine) as db:
        assert db.get(Case, case.id).title == case.title  # nothing saved
