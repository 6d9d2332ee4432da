"""The 专报 in real Chromium: a 东镇 director drafts last month's, writes the analysis, picks a typical case, issues
it and downloads the PDF and its Excel annex — with JavaScript, and without it on a phone-sized screen."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from factories import build_world
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from stats_world import extend_world, generate
from test_browser import sign_in, watch

from portal import clock
from portal.alerts.months import Month

pytestmark = pytest.mark.browser
LAST = Month.of(clock.today()).shift(-1)


def draft_edit_issue_download(page: Page, issuer: str) -> tuple[bytes, bytes]:
    if "/bulletins" not in page.url:
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="专报").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("研判预警专报 · 甲县东镇人民调解委员会")
    page.get_by_label("月份", exact=True).fill(str(LAST))
    page.get_by_role("button", name="起草专报").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{LAST.label}人民调解研判预警专报")
    expect(page.locator("#bulletin-state")).to_contain_text("草稿，尚未签发")
    received = page.locator("#headline tbody tr").first.locator("td").nth(2).inner_text()
    page.get_by_label("研判分析").fill("土地纠纷集中在李庄村，<b>需</b>关注。")
    page.get_by_label("工作建议").fill("镇调委会牵头逐户排查。")
    page.locator("#edit-form input[name=typical]").first.check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#flashes")).to_contain_text("专报已保存")
    expect(page.locator("#part-analysis")).to_contain_text("土地纠纷集中在李庄村，<b>需</b>关注。")
    expect(page.locator("#part-typical li")).to_have_count(1)
    page.get_by_role("button", name="签发").click()
    expect(page.locator("#flashes")).to_contain_text(f"已签发 〔{LAST.year}〕第{LAST.month}期 第 1 版")
    expect(page.locator("#bulletin-state")).to_contain_text("已签发 1 版")
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="下载 PDF").click()
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Excel 附件").click()
    pdf, sheet = Path(pdf_download.value.path()).read_bytes(), Path(xlsx_download.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "").replace("\n", "")
    assert f"共登记矛盾纠纷{received}件" in text
    assert "按纠纷类型：登记数与调解成功数" in text and "按层级：登记数与就地化解数" in text
    assert "土地纠纷集中在李庄村，<b>需</b>关注。" in text and f"签发人：{issuer}" in text
    book = load_workbook(io.BytesIO(sheet))
    assert str(book["总体情况"]["C4"].value) == received.replace(",", "")
    return pdf, sheet


def test_a_director_drafts_edits_issues_and_downloads_a_bulletin(page, live_server, engine) -> None:
    world = build_world(engine)
    extend_world(engine, world)
    generate(engine, world, count=80, today=clock.today())
    problems = watch(page)
    page.on("dialog", lambda dialog: dialog.accept())  # 签发's confirmation
    sign_in(page, "a1.director")
    draft_edit_issue_download(page, "东镇主任")
    problems.assert_none()


def test_the_same_without_javascript_on_a_phone(page_nojs, live_server, engine) -> None:
    """The 司法所's 督导 (through the supervision relation) does the same at 390 px, JavaScript off."""
    world = build_world(engine)
    extend_world(engine, world)
    generate(engine, world, count=80, today=clock.today())
    page_nojs.set_viewport_size({"width": 390, "height": 844})
    sign_in(page_nojs, "a1.supervisor")
    page_nojs.goto(f"/bulletins?org={world.org('a1').id}")
    draft_edit_issue_download(page_nojs, "东所督导")
    assert re.search(r"/bulletins/\d+", page_nojs.url)
    scroll_width, inner_width = page_nojs.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width == 390
