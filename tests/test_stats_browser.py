"""Real Chromium on the demo county: the 督导 of 司法局 and 司法所 see their areas; the statistics page drills down
by clicking, prints, works on a phone and without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select
from test_browser import watch

from portal.cases.models import Case
from portal.demo import DEMO_PASSWORD, build_demo
from portal.demo_cases import build_demo_cases
from portal.orgs.models import Organisation

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - the demo is built before the server starts; no search needed
    settings.indexer_in_server = False
    return settings


@pytest.fixture
def demo(engine):  # noqa: ANN001, ANN201
    build_demo(engine, password=DEMO_PASSWORD)
    build_demo_cases(engine, count=40)
    with Session(engine) as db:
        paths = {o.name: o.path for o in db.exec(select(Organisation))}
        cases = list(db.exec(select(Case)))
    return paths, cases


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/workspace$"), timeout=30_000)  # argon2 on a busy machine


def listed_total(page: Page) -> int:
    return int(page.locator("#state-chips a").first.inner_text().removeprefix("全部 "))


def test_the_demo_supervisors_see_their_areas(demo, live_server, page) -> None:
    paths, cases = demo
    chengguan = paths["城关街道人民调解委员会"]
    ours = next(c for c in cases if c.org_path.startswith(chengguan))
    theirs = next(c for c in cases if not c.org_path.startswith(chengguan))
    problems = watch(page)
    sign_in(page, "sfj.supervisor")  # 司法局 → the whole county
    expect(page.locator("[data-supervised-via]")).to_contain_text("清溪县司法局")
    page.goto("/cases")
    assert listed_total(page) == len(cases)
    page.context.clear_cookies()
    sign_in(page, "cg.supervisor")  # 城关街道司法所 → 城关街道's committees, villages and grids
    page.goto(f"/cases/{ours.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(ours.number)
    assert page.goto(f"/cases/{theirs.id}").status == 404
    page.goto("/cases")
    assert listed_total(page) == sum(c.org_path.startswith(chengguan) for c in cases)
    problems.assert_none(r"status of 404")


def test_a_number_on_the_statistics_page_opens_its_cases(demo, live_server, page) -> None:
    problems = watch(page)
    sign_in(page, "sfj.supervisor")
    page.get_by_role("link", name="统计分析", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("统计分析")
    # Every demo case's received day (a custom range is cut at three years: portal.stats.periods.MAX_CUSTOM_DAYS).
    first, last = min(c.received_on for c in demo[1]).isoformat(), max(c.received_on for c in demo[1]).isoformat()
    page.select_option("select[name=kind]", "custom")
    page.fill("input[name=from]", first)
    page.fill("input[name=to]", last)
    page.get_by_role("button", name="统计").click()
    expect(page.locator("#stats-scope")).to_contain_text(f"{first} 至 {last}")
    cell = page.locator('#breakdown-table tfoot a[href*="ind=received"]')
    number = int(cell.inner_text().replace(",", ""))
    assert number == len(demo[1])
    cell.click()
    expect(page.locator("#drill-note")).to_contain_text("登记数")
    assert listed_total(page) == number
    page.go_back()
    page.locator("#breakdown-table tbody th a").first.click()  # drill down the tree: the county's first body
    expect(page.locator("#breakdown-table")).to_be_visible()
    assert page.locator("#breakdown svg, .chart-figure svg").count() >= 1
    problems.assert_none()


def test_the_statistics_page_works_without_javascript_and_on_a_phone(demo, live_server, page_nojs) -> None:
    page = page_nojs
    sign_in(page, "cg.supervisor")
    page.goto("/stats?kind=year&by=channel")
    expect(page.locator("#breakdown-title")).to_contain_text("按来源渠道")
    page.set_viewport_size({"width": 390, "height": 844})
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner == 390
    page.emulate_media(media="print")
    assert page.locator("#stats-filters").is_hidden() and page.locator("#headline-table").is_visible()
