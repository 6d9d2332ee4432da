"""Real Chromium on the demo county: the county's administrator writes a rubric for the 司法局, its 督导 computes a
month, adjusts an item with a reason and publishes; a township's director then sees its own score and rank — with
JavaScript on, and again without JavaScript on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from test_browser import watch

from portal import clock
from portal.demo import DEMO_PASSWORD, build_demo

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201
    settings.indexer_in_server = False
    return settings


@pytest.fixture
def demo(engine):  # noqa: ANN001, ANN201
    build_demo(engine, password=DEMO_PASSWORD)
    return engine


def sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/workspace$"), timeout=30_000)


def choose(select: Locator, text: str) -> None:
    """Options are indented by depth (full-width spaces): pick the one that names `text`."""
    select.select_option(select.locator("option", has_text=text).first.get_attribute("value"))


def _walk(page: Page, phone: bool) -> None:
    month = clock.today().isoformat()[:7]
    sign_in(page, "qx.admin")
    page.goto("/assessment")
    page.get_by_role("link", name="制定考核细则").click()
    page.get_by_label("细则名称").fill("清溪县月度考核（测试）")
    choose(page.get_by_label("考核机构"), "清溪县司法局")
    choose(page.get_by_label("被考核单位的上级"), "清溪县社会矛盾纠纷调处化解中心")
    page.get_by_role("button", name="建立细则").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("清溪县月度考核（测试）")
    for name, mode, indicator, weight, extra in (
        ("回访率", "target", "followup_rate", "60", ("target", "100")),
        ("联席会议参会", "manual", "", "40", None),
    ):
        page.locator("#add-item summary").click()  # <details> opens without JavaScript too
        form = page.locator("#add-item form")
        form.get_by_label("考核项目").fill(name)
        form.get_by_label("分值").fill(weight)
        form.get_by_label("计分方式").select_option(mode)
        if indicator:
            form.get_by_label("统计指标").select_option(indicator)
        if extra:
            form.get_by_label("目标值").fill(extra[1])
        form.get_by_role("button", name="添加").click()
        expect(page.locator("#items table")).to_contain_text(name)
    expect(page.locator("#items h2")).to_contain_text("合计 100.00 分")
    rubric_url = page.url.split("#")[0]
    sign_in(page, "sfj.supervisor")
    page.goto(rubric_url)
    page.locator("#compute").get_by_label("考核月份").fill(month)
    page.locator("#compute").get_by_role("button", name="计算得分").click()
    expect(page.locator("#state")).to_have_text("草稿（未发布）")
    baisha = page.locator("section.score", has_text="白沙乡人民调解委员会")
    row = baisha.locator("tr.score-item", has_text="联席会议参会")
    row.get_by_label("得分").fill("12.5")
    row.get_by_label("原因").fill("未参加本月联席会议")
    row.get_by_role("button", name="调整").click()
    baisha = page.locator("section.score", has_text="白沙乡人民调解委员会")
    expect(baisha.locator("tr.score-item", has_text="联席会议参会")).to_contain_text("未参加本月联席会议")
    expect(baisha.locator("h2")).to_contain_text("72.50 分")
    if not phone:
        page.once("dialog", lambda dialog: dialog.accept())  # portal.js asks before publishing
    page.get_by_role("button", name="发布考核结果").click()
    expect(page.locator("#state")).to_have_text("已发布")
    expect(page.get_by_role("button", name="调整")).to_have_count(0)
    sign_in(page, "bs.director")
    page.goto("/assessment")
    page.get_by_role("link", name=month).first.click()
    rows = page.locator("#ranking-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("白沙乡人民调解委员会")
    expect(rows.first).to_contain_text("第 8 名")
    expect(page.locator("#ranking")).to_contain_text("共 8 个单位")
    expect(page.locator("body")).not_to_contain_text("河口镇人民调解委员会")
    expect(page.locator("section.score")).to_contain_text("未参加本月联席会议")


def test_rubric_compute_adjust_publish_and_the_body_sees_its_rank(demo, live_server, page) -> None:
    problems = watch(page)
    _walk(page, phone=False)
    problems.assert_none()


def test_the_same_walk_without_javascript_on_a_phone(demo, live_server, page_nojs) -> None:
    page_nojs.set_viewport_size({"width": 390, "height": 844})
    _walk(page_nojs, phone=True)
    page_nojs.goto("/assessment")
    scroll, inner = page_nojs.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner == 390
