"""个案补贴 in real Chromium: the archivist files a case's dossier, its mediator claims the subsidy, the director
(JavaScript off) raises the grade with a reason, the 司法所 and the 司法局 approve, the 司法局 makes the month's
payment batch and downloads it as Excel and PDF with the right totals; a second claim of the case is refused; the
claim page fits a phone."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from factories import build_world
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlmodel import Session, select
from subsidy_world import add_office, add_tariff
from test_browser import sign_in, watch
from test_browser_dossiers import BINDING_MS, flash, open_dossier
from test_dossiers import _ready_case

from portal.cases.models import Case
from portal.subsidies.models import Claim, ClaimState, ClaimStep

pytestmark = pytest.mark.browser


def as_(page: Page, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, username)


def approve(page: Page, claim_url: str, username: str, then: str, *, grade: str = "", reason: str = "") -> None:
    as_(page, username)
    page.goto(claim_url)
    form = page.locator("#decide")
    if grade:
        form.locator("#f-grade").select_option(label=grade)
        form.locator("#f-reason").fill(reason)
    form.get_by_role("button", name="同意").click()
    expect(page.locator("#claim-state")).to_have_text(then)


def test_a_case_goes_from_filing_through_claim_three_approvals_and_a_payment_batch(
    page, page_nojs, live_server, engine, settings
) -> None:
    world = build_world(engine)
    add_office(engine, world)
    add_tariff(engine, world)
    case_id = _ready_case(engine, settings, world, signed=True)
    with Session(engine) as db:
        number = db.get(Case, case_id).number
    problems = watch(page)

    # 立卷归档: the pre-check (案卷评查) passes, the dossier is bound and filed
    sign_in(page, "a.archivist")
    open_dossier(page, case_id, number)
    page.locator("#f-checked_by").fill("甲调委会主任")
    page.locator("#f-retention").select_option("30年")
    page.locator("#filing").get_by_role("button", name="立卷归档").click()
    flash(page, "已开始立卷归档")
    expect(page.locator("#jobs .job").first).to_have_attribute("data-status", "done", timeout=BINDING_MS)

    # the mediator finds the case among those to claim, and claims it as 一般
    as_(page, "a1.mediator")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="个案补贴").click()
    row = page.locator("#claimable tr", has_text=number)
    row.get_by_role("link", name="申报补贴").click()
    page.get_by_label("一般（150.10 元）").check()
    page.get_by_role("button", name="提交申报").click()
    flash(page, "已申报个案补贴 150.10 元")
    expect(page.locator("#claim-amount")).to_have_text("150.10")
    claim_url = page.url

    # the director, without JavaScript, raises it to 疑难 with the reason; then the 司法所 and the 司法局
    approve(page_nojs, claim_url, "a.director", "待司法所审核", grade="疑难", reason="涉及三户，调解三次")
    expect(page_nojs.locator("#claim-amount")).to_have_text("200.20")
    approve(page, claim_url, "a1.office", "待司法局审批")
    approve(page, claim_url, "a.supervisor", "已核准，待发放")
    expect(page.locator("#steps tbody tr")).to_have_count(3)
    expect(page.locator("#steps")).to_contain_text("一般 → 疑难")

    # the month's payment batch, its Excel and its PDF
    month = date.today().strftime("%Y-%m")
    page.goto("/subsidies/batches")
    page.locator("#f-month").fill(month)
    page.locator("#batch-form").get_by_role("button", name="编制发放表").click()
    flash(page, "合计 200.20 元")
    expect(page.locator("#batch-total")).to_have_text("200.20")
    with page.expect_download() as xlsx:
        page.locator("#batch-xlsx").click()
    sheet = load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes())).active
    total = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "合计")
    assert Decimal(str(total[9])) == Decimal("200.20")
    assert any(r[1] == number and r[7] == "东镇调解员" for r in sheet.iter_rows(values_only=True))
    with page.expect_download() as pdf:
        page.locator("#batch-pdf").click()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(pdf.value.path()).read_bytes())).pages)
    assert "200.20" in text and number in text and "领取人签字" in text and "制表人" in text

    with Session(engine) as db:
        claim = db.exec(select(Claim).where(Claim.case_id == case_id)).one()
        assert claim.state is ClaimState.BATCHED and claim.amount == Decimal("200.20")
        assert len(db.exec(select(ClaimStep).where(ClaimStep.claim_id == claim.id)).all()) == 3

    # a second claim of the case is refused, with the reason
    as_(page, "a.director")
    page.goto(f"/subsidies/claims/new?case={case_id}")
    expect(page.locator("#claim-problems")).to_contain_text("只能申报一次")
    expect(page.locator("#claim-form")).to_have_count(0)

    # the claim page on a phone: nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(claim_url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    problems.assert_none()
