"""The early warning in real Chromium: from the workspace's panel to an explained alert, its cases, and its review —
with JavaScript, and without it on a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from factories import build_world
from playwright.sync_api import Page, expect
from test_alerts import LAST, plant_spike
from test_browser import sign_in, watch

pytestmark = pytest.mark.browser


def review_the_spike(page: Page) -> None:
    """Workspace → last month's alerts → the spike's cases → back → 研判 with a note."""
    panel = page.locator("#alert-panel")
    expect(panel).to_contain_text("未研判 2 条")
    panel.get_by_role("link", name=re.compile(f"{LAST.label} 未研判")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("预警 · 甲县矛调中心")
    spike = page.locator("article.alert").first
    expect(spike).to_contain_text("红色预警")
    expect(spike).to_contain_text("甲县东镇人民调解委员会 · 山林土地")
    expect(spike).to_contain_text(f"{LAST.label}收到 6 件")
    expect(spike).to_contain_text("前 12 个月均值 0.50 件/月")
    expect(spike).to_contain_text("泊松超阈")

    spike.get_by_role("link", name="查看这 6 件案件").click()
    expect(page.locator("#state-chips a").first).to_have_text("全部 6")
    page.go_back()

    spike = page.locator("article.alert").first
    spike.locator("summary", has_text="研判").click()
    spike.get_by_label("研判意见").fill("已核实：东镇土地确权集中引发，已请镇调委会联合调解。")
    spike.get_by_role("button", name="标记为已研判").click()
    expect(page.locator("#flashes")).to_contain_text("已标记为已研判")
    reviewed = page.locator("article.alert").first
    expect(reviewed).to_contain_text("已研判")
    expect(reviewed).to_contain_text("土地确权集中引发")


def test_a_director_reviews_the_spike_from_the_workspace(page, live_server, engine) -> None:
    world = build_world(engine)
    plant_spike(engine, world)
    problems = watch(page)
    sign_in(page, "a.director")
    review_the_spike(page)
    problems.assert_none()


def test_the_same_without_javascript_on_a_phone(page_nojs, live_server, engine) -> None:
    world = build_world(engine)
    plant_spike(engine, world)
    page_nojs.set_viewport_size({"width": 390, "height": 844})
    sign_in(page_nojs, "a.supervisor")
    review_the_spike(page_nojs)
    scroll_width, inner_width = page_nojs.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width == 390
    page_nojs.get_by_label("月份", exact=True).fill(str(LAST.shift(-1)))
    page_nojs.get_by_role("button", name="查看").click()
    expect(page_nojs.get_by_role("heading", level=1)).to_have_text("预警 · 甲县矛调中心")
    expect(page_nojs.locator("#alerts")).to_contain_text("没有预警")


def test_a_clerk_has_no_warnings_in_the_menu(page, live_server, engine) -> None:
    build_world(engine)
    sign_in(page, "a.clerk")
    expect(page.get_by_role("navigation", name="主导航")).not_to_contain_text("预警")
    expect(page.locator("#alert-panel")).to_have_count(0)
