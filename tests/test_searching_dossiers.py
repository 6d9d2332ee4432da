"""A filed dossier is searchable page by page: hits link to the PDF page, phone numbers never reach a snippet."""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from factories import build_world, sign_in
from pypdf import PdfReader
from sqlmodel import Session, select
from test_dossiers import _file, _ready_case

import search
import search.writing
from portal.dossiers import jobs
from portal.dossiers.models import BindingJob
from portal.searching import documents
from portal.searching.indexer import Indexer


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - the test drives the indexer itself
    settings.indexer_in_server = False
    return settings


def test_identity_and_phone_numbers_in_free_text_are_masked_as_the_pages_mask_them() -> None:
    masked = search.mask_ids(
        "电话13912345678，座机0571-87654321，身份证370102199001011234，信用代码91369921MA3C8Y2K5X。"
    )
    assert masked == "电话139****5678，座机057****4321，身份证370102********1234，信用代码913699********2K5X。"
    assert masked.count("*") == 4 + 4 + 8 + 8
    assert search.mask_ids("１３９１２３４５６７８") == "１３９****５６７８"  # full width too
    assert (
        search.mask_ids("案号（2026）东人调字第001号，金额 120000 元") == "案号（2026）东人调字第001号，金额 120000 元"
    )


def test_a_filed_dossier_is_found_by_its_text_and_the_hit_opens_its_page(client, engine, settings) -> None:
    world = build_world(engine)
    case_id = _ready_case(engine, settings, world)
    sign_in(client, "a.archivist")
    # the checker's name is only in the dossier; the 备注 puts a phone number on its text pages (the documents that
    # print the parties' numbers are signed scans there)
    assert _file(client, case_id, checked_by="钱检查", notes="联系电话13912345678").status_code == 303
    with Session(engine) as db:
        job = db.exec(select(BindingJob).where(BindingJob.case_id == case_id)).one()
    assert jobs.wait(engine, job.id, timeout=90).status == "done"
    Indexer(settings, engine).ensure_index()
    Indexer(settings, engine).drain()
    page = BeautifulSoup(client.get("/search", params={"q": "钱检查"}).text, "html.parser")
    hit = page.select_one(f"#hit-{case_id}")
    assert hit is not None and "<mark>钱检查</mark>" in str(hit)
    link = hit.select_one('a[href*="/dossier/filed#page="]')
    number = int(link["href"].rsplit("=", 1)[1])
    pdf = client.get(link["href"].split("#")[0])
    assert pdf.status_code == 200 and pdf.headers["content-disposition"].startswith("inline")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert "钱检查" in reader.pages[number - 1].extract_text()  # the page the link names
    assert "13912345678" in "".join(p.extract_text() for p in reader.pages)  # the dossier prints the phone in full …
    with Session(engine) as db:  # … and what the index stores holds it masked
        (doc,), _ = documents.build(db, [case_id], uploads_dir=settings.uploads_dir, archive_dir=settings.archive_dir)
    assert len(doc.dossier_pages) == len(reader.pages) and doc.filed_on is not None
    stored = search.writing.fields_of(doc)["dossier"]
    assert "13912345678" not in stored and "139****5678" in stored
