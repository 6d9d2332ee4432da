"""Real Chromium against the live server: the main journeys with and without JavaScript, htmx in place
updates, a form error round trip and a phone-sized screen."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from factories import PASSWORD, World, build_world
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlmodel import Session, select

from portal.orgs.models import Organisation, Tier

pytestmark = pytest.mark.browser


# Chromium reports a blocked script, style or connection on the document, which the page relays to Python.
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
}, true);
"""


@dataclass
class Problems:
    """Console errors, uncaught exceptions and CSP violations seen by a page."""

    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)

    def assert_none(self, *expected: str) -> None:
        """No problems, except console errors matching one of the `expected` regular expressions."""
        console = [text for text in self.console if not any(re.search(pattern, text) for pattern in expected)]
        assert (console, self.exceptions, self.csp) == ([], [], [])


def watch(page: Page) -> Problems:
    problems = Problems()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.console.append(f"{message.text} [{message.location.get('url', '')}]")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.exceptions.append(str(exc)))
    page.expose_function("__reportCsp", lambda text: problems.csp.append(text))
    page.add_init_script(WATCH_CSP)
    return problems


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/workspace$"))


def journey(page: Page, world: World, *, js: bool) -> None:
    """Sign in → workspace → organisation tree → one organisation → sign out, by clicking.

    With JavaScript, htmx boosts the links and forms: the document (and a marker set on it) survives
    every step; without, each step is a plain page load."""
    sign_in(page, "a.mediator")
    expect(page.get_by_role("heading", level=1)).to_have_text("甲调解员的工作台")
    expect(page).to_have_title("工作台 - 调解卷宗门户")
    if js:
        page.evaluate("window.__marker = 1")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="组织机构").click()
    expect(page).to_have_url(re.compile(r"/orgs/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("组织机构")
    expect(page).to_have_title("组织机构 - 调解卷宗门户")
    tree = page.locator("#org-tree")
    expect(tree.get_by_role("link", name="甲县矛调中心", exact=True)).to_be_visible()
    expect(tree.get_by_role("link", name="甲县东镇人民调解委员会", exact=True)).to_be_visible()
    expect(tree).not_to_contain_text("乙县矛调中心")
    expect(tree).not_to_contain_text("乙县西镇人民调解委员会")

    tree.get_by_role("link", name="甲县东镇人民调解委员会", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orgs/{world.org('a1').id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("甲县东镇人民调解委员会")
    expect(page.locator("main")).to_contain_text("东镇桃花村人民调解委员会")  # its child
    if js:
        assert page.evaluate("window.__marker") == 1, "boosted navigation reloaded the page"

    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login\?reason=signed_out$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("登录")
    expect(page.get_by_text("您已安全退出。")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)

    page.goto("/workspace")
    assert path_of(page) == "/login"
    expect(page.get_by_label("用户名")).to_be_visible()
    expect(page.get_by_text("请先登录。")).to_be_visible()


def test_journey_with_javascript(page, live_server, engine):
    world = build_world(engine)
    problems = watch(page)
    journey(page, world, js=True)
    problems.assert_none()


def test_journey_without_javascript(page_nojs, live_server, engine):
    world = build_world(engine)
    problems = watch(page_nojs)
    journey(page_nojs, world, js=False)
    problems.assert_none()


def test_org_search_filters_the_tree_in_place(page, live_server, engine):
    build_world(engine)
    problems = watch(page)
    sign_in(page, "a.mediator")
    page.goto("/orgs")
    tree = page.locator("#org-tree")
    expect(tree.get_by_role("link", name="甲县医疗纠纷人民调解委员会")).to_be_visible()
    page.evaluate("window.__marker = 1")

    with page.expect_response(lambda r: urlsplit(r.url).path.rstrip("/") == "/orgs" and "q=" in r.url) as caught:
        page.get_by_label("名称").press_sequentially("东镇", delay=30)
    response = caught.value
    assert response.request.headers.get("hx-request") == "true"
    assert response.status == 200 and "<html" not in response.text()  # a fragment, not the page

    expect(tree).to_contain_text("找到 2 个机构")
    expect(tree.get_by_role("link", name="甲县东镇人民调解委员会")).to_be_visible()
    expect(tree.get_by_role("link", name="东镇桃花村人民调解委员会")).to_be_visible()
    expect(tree).not_to_contain_text("甲县医疗纠纷人民调解委员会")
    assert page.evaluate("window.__marker") == 1  # no full reload
    expect(page).to_have_url(re.compile(r"/orgs/?\?"))
    assert parse_qs(urlsplit(page.url).query).get("q") == ["东镇"]
    problems.assert_none()


def test_new_org_form_error_round_trip(page, live_server, engine):
    world = build_world(engine)
    problems = watch(page)
    sign_in(page, "a.admin")
    a1 = world.org("a1")
    page.goto(f"/orgs/new?parent={a1.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("新建组织机构")
    expect(page.get_by_label("上级机构")).to_have_value(str(a1.id))

    page.get_by_label("简称").fill("新")
    page.get_by_label("行政区划代码").fill("530102")
    page.get_by_label("排序号").fill("7")
    form = page.locator("form.form")
    form.evaluate("f => { f.noValidate = true; }")  # let the empty name reach the server
    page.get_by_role("button", name="保存").click()

    expect(page.locator("#form-errors")).to_contain_text("提交未成功")
    expect(page.locator("#f-name-error")).to_have_text("请填写机构名称。")
    expect(page.get_by_label("机构名称")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("简称")).to_have_value("新")
    expect(page.get_by_label("行政区划代码")).to_have_value("530102")
    expect(page.get_by_label("排序号")).to_have_value("7")
    expect(page.get_by_label("上级机构")).to_have_value(str(a1.id))
    expect(page.get_by_label("层级")).to_have_value(Tier.VILLAGE.value)

    page.get_by_label("机构名称").fill("东镇新村人民调解委员会")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("东镇新村人民调解委员会")
    expect(page.locator("#flashes")).to_contain_text("已新建：东镇新村人民调解委员会")
    with Session(engine) as db:
        created = db.exec(select(Organisation).where(Organisation.name == "东镇新村人民调解委员会")).one()
    assert (created.parent_id, created.short_name, created.division_code, created.sort_order) == (
        a1.id,
        "新",
        "530102",
        7,
    )
    expect(page).to_have_url(re.compile(rf"/orgs/{created.id}$"))
    # the 422 of the re-rendered form: Chromium logs every 4xx response itself (htmx is configured not to)
    problems.assert_none(r"status of 422 .*/orgs/?\]$")


def test_workspace_fits_a_phone_screen(page, live_server, engine):
    world = build_world(engine)
    problems = watch(page)
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, "a.admin")
    expect(page.get_by_role("heading", level=1)).to_contain_text("工作台")
    overflow = "[document.documentElement.scrollWidth, window.innerWidth]"
    assert page.evaluate(overflow) == [375, 375]
    for path in ("/orgs", f"/orgs/{world.org('a').id}"):
        page.goto(path)
        scroll_width, inner_width = page.evaluate(overflow)
        assert scroll_width <= inner_width == 375, (path, scroll_width)
    problems.assert_none()
