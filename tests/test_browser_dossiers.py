"""A bound dossier in real Chromium: the archivist opens an evaluated case's dossier page, uploads the signed scans
the pre-check asks for, binds a draft without JavaScript (the page refreshes itself until the download appears),
files the case with JavaScript (htmx polls the job in place), downloads the PDF through the page and reads it back:
cover, contents against the real start pages, page numbers on body pages only, embedded manifest and originals.
Then the case is frozen: the badge shows, the actions are gone and a POST is refused with the reason."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pikepdf
import pytest
from factories import build_world
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlmodel import Session, select
from test_archive_binding import _numbers_in_corner
from test_browser import sign_in, watch
from test_dossiers import _ready_case

from archive import samples
from portal.cases.models import Case, CaseFile
from portal.dossiers.models import DossierVersion

pytestmark = pytest.mark.browser

BINDING_MS = 60_000  # a binding takes a few seconds; the machine is shared


def flash(page: Page, text: str) -> None:
    expect(page.locator("#flashes")).to_contain_text(text)


def open_dossier(page: Page, case_id: int, number: str) -> None:
    page.goto(f"/cases/{case_id}")
    page.locator("#dossier-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"卷宗 · {number}")


def test_an_archivist_binds_files_and_downloads_the_dossier_then_the_case_refuses_edits(
    page, page_nojs, live_server, engine, settings
) -> None:
    world = build_world(engine)
    case_id = _ready_case(engine, settings, world, signed=False)
    with Session(engine) as db:
        number = db.get(Case, case_id).number
    problems = watch(page)

    # pre-check names what is missing; the signed scans go up through the page's form
    sign_in(page, "a.archivist")
    open_dossier(page, case_id, number)
    expect(page.locator("#precheck-problems")).to_contain_text("人民调解协议书尚未签字")
    expect(page.locator("#filing")).to_be_visible()
    keys = [
        k
        for k in page.locator("#f-doc_key option").evaluate_all("options => options.map(o => o.value)")
        if k.split(":")[0] in ("rights", "mediation", "agreement")
    ]
    assert len(keys) == 3, keys
    for n, key in enumerate(keys):
        page.locator("#f-doc_key").select_option(key)
        page.locator("#scan-file").set_input_files(
            files=[
                {
                    "name": f"签字件{n + 1}.jpg",
                    "mimeType": "image/jpeg",
                    "buffer": samples.scan(620, 877, text=f"SIGNED {n}", seed=40 + n),
                }
            ]
        )
        page.locator("#scans").get_by_role("button", name="上传").click()
        flash(page, "已上传签字扫描件")
    expect(page.locator("#precheck-ok")).to_contain_text("必备材料齐全")
    expect(page.locator("#dossier-order")).to_contain_text("人民调解协议书（签字件）")

    # without JavaScript: a draft binding; the page refreshes itself (noscript meta refresh)
    # until the download is offered
    sign_in(page_nojs, "a.archivist")
    open_dossier(page_nojs, case_id, number)
    page_nojs.get_by_role("button", name="装订卷宗（草稿，供检查）").click()
    flash(page_nojs, "已开始装订")
    draft = page_nojs.locator("#jobs .job").first
    expect(draft).to_have_attribute("data-status", "done", timeout=BINDING_MS)
    expect(draft.locator("[data-download=dossier]")).to_be_visible()
    expect(page_nojs.locator("#versions")).to_contain_text("草稿")

    # with JavaScript: file it; htmx polls the job in place (the document survives) until the download link appears
    page.reload()
    expect(page.locator("#f-filed_by")).to_have_value("甲档案员")
    expect(page.locator("#f-volume_number")).to_have_value(number)
    page.locator("#f-checked_by").fill("甲调委会主任")
    page.locator("#f-retention").select_option("30年")
    page.locator("#filing").get_by_role("button", name="立卷归档").click()
    flash(page, "已开始立卷归档")
    page.evaluate("window.__sameDocument = true")
    job = page.locator("#jobs .job").first
    if job.get_attribute("data-status") in ("queued", "running"):
        expect(job).to_contain_text("立卷归档中")
        assert job.get_attribute("hx-get")
    expect(job).to_have_attribute("data-status", "done", timeout=BINDING_MS)
    assert page.evaluate("window.__sameDocument === true"), "the job was polled in place, not by reloading the page"
    with page.expect_download() as download_info:
        job.locator("[data-download=dossier]").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}-卷宗-v2.pdf"
    pdf = Path(download.path()).read_bytes()

    with Session(engine) as db:
        version = db.exec(
            select(DossierVersion).where(DossierVersion.case_id == case_id, DossierVersion.status == "filed")
        ).one()
        uploads = {f.sha256 for f in db.exec(select(CaseFile).where(CaseFile.case_id == case_id))}
        assert db.get(Case, case_id).archived_at is not None
    assert hashlib.sha256(pdf).hexdigest() == version.sha256 and (version.version, version.retention) == (2, "30年")

    # the PDF: embedded manifest and originals (PDF/A-3b associated files)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        attached = doc.attachments
        manifest = json.loads(attached["manifest.json"].get_file().read_bytes())
        embedded = {
            hashlib.sha256(attached[name].get_file().read_bytes()).hexdigest()
            for name in attached
            if name != "manifest.json"
        }
        declared = {str(spec.get("/AFRelationship")) for spec in doc.Root.AF}
        assert "pdfaid" in str(doc.open_metadata())
    assert embedded == uploads and len(uploads) == 8 and declared == {"/Data", "/Source"}
    assert (
        manifest["case"]["number"] == number
        and manifest["filing"]["retention"] == "30年"
        and manifest["pdf"]["variant"] == "pdf/a-3b"
    )

    reader = PdfReader(io.BytesIO(pdf))
    front, count, tail = (
        manifest["pdf"]["front_pages"],
        manifest["pdf"]["numbered_pages"],
        manifest["pdf"]["tail_pages"],
    )
    assert len(reader.pages) == front + count + tail == version.total_pages and count == version.page_count

    # cover: 卷名, 卷号, 保管期限, 立卷人, the committee; the 卷内备考表 names the checker
    cover = reader.pages[0].extract_text()
    for text in ("调 解 卷 宗", "矩阵测试宅基地纠纷", number, "30年", "甲档案员", "东镇桃花村人民调解委员会"):
        assert text in cover, text
    assert "甲调委会主任" in "".join(p.extract_text() for p in reader.pages[front + count :])

    # contents: every bound document's range is where it really starts, its first page carries that number
    contents = "".join(p.extract_text() for p in reader.pages[1:front])
    bound = [d for d in manifest["documents"] if d["pages"] != "—"]
    starts = [int(d["pages"].split("-")[0]) for d in bound]
    assert starts[0] == 1 and starts == sorted(starts) and len(set(starts)) == len(starts)
    for doc_entry, start in zip(bound, starts, strict=True):
        assert re.search(rf"(?<![\d-]){re.escape(doc_entry['pages'])}(?![\d-])", contents), doc_entry
        first = reader.pages[front + start - 1]
        if doc_entry["source"] == "generated":
            assert doc_entry["title"].split("（")[0][:4] in first.extract_text(), doc_entry["title"]
        else:
            assert first.images, doc_entry["title"]
    titles = [d["title"] for d in manifest["documents"]]
    assert "人民调解协议书（签字件）" in titles and "当事人权利义务告知书（签字件）" in titles

    # page numbers on body pages only, from 1
    for index, pdf_page in enumerate(reader.pages):
        body_number = index - front + 1
        assert _numbers_in_corner(pdf_page) == ([str(body_number)] if 1 <= body_number <= count else []), index

    # filed: the dossier page offers a correction instead of filing; the case page shows the badge and no actions
    page.reload()
    expect(page.locator("#archived-badge")).to_have_text("已立卷归档")
    expect(page.locator("#filing")).to_have_count(0)
    expect(page.locator("#correction")).to_be_visible()
    expect(page.locator("#versions tr[data-version='2']")).to_contain_text("已归档")
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#case-badges [data-archived]")).to_have_text("已立卷归档")
    expect(page.locator("#case-badges [data-state]")).to_have_text("已评价（待立卷）")
    token = page.locator("input[name=_csrf_token]").first.get_attribute("value")
    refused = page.request.post(f"/cases/{case_id}/dossier/bind", form={"_csrf_token": token}, max_redirects=0)
    assert refused.status == 403 and "已立卷归档" in refused.text()
    page.goto("/cases")
    expect(page.locator("#cases tr", has_text=number).locator("[data-archived]")).to_have_text("已立卷归档")

    # the clerk, who could add an evaluation before, finds no action, record or upload form
    page_nojs.get_by_role("button", name="退出").click()
    sign_in(page_nojs, "a.clerk")
    page_nojs.goto(f"/cases/{case_id}")
    expect(page_nojs.locator("#case-badges [data-archived]")).to_be_visible()
    expect(page_nojs.locator("#actions")).to_have_count(0)
    expect(page_nojs.get_by_role("link", name="添加评价")).to_have_count(0)
    expect(page_nojs.get_by_role("link", name="修改基本信息")).to_have_count(0)
    problems.assert_none()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_filing_an_incomplete_dossier_answers_422_on_the_dossier_page_with_the_form_kept_and_the_gaps_listed(
    request, js: bool, live_server, engine, settings
) -> None:
    page = request.getfixturevalue("page" if js else "page_nojs")
    world = build_world(engine)
    case_id = _ready_case(engine, settings, world, signed=False)
    with Session(engine) as db:
        number = db.get(Case, case_id).number
    sign_in(page, "a.archivist")
    open_dossier(page, case_id, number)
    page.locator("#f-checked_by").fill("甲调委会主任")
    page.locator("#f-notes").fill("已填写的备注，不应丢失")
    page.locator("#f-retention").select_option("10年")
    with page.expect_response(lambda r: r.url.endswith(f"/cases/{case_id}/dossier/file")) as answer:
        page.locator("#filing").get_by_role("button", name="立卷归档").click()
    assert answer.value.status == 422
    errors = page.locator("#filing #form-errors")
    expect(errors).to_contain_text("卷宗不完整，不能立卷归档")
    for gap in ("当事人权利义务告知书尚未签字", "人民调解记录（第1次）尚未签字", "人民调解协议书尚未签字"):
        expect(errors).to_contain_text(gap)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"卷宗 · {number}")  # the dossier page, not 无权访问
    expect(page.locator("#f-checked_by")).to_have_value("甲调委会主任")
    expect(page.locator("#f-notes")).to_have_value("已填写的备注，不应丢失")
    expect(page.locator("#f-retention")).to_have_value("10年")
    expect(page.locator("#scans")).to_be_visible()  # where the gaps are mended, on the same page
    with Session(engine) as db:
        assert db.get(Case, case_id).archived_at is None
