"""The case pages in real Chromium: a 网格员's report walked through the whole loop at the township, a
访调对接 case fed back to the petition bureau, a refusal with its reasons, and a returned transfer.

Everything after the world is built happens by signing in and clicking through the real pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from factories import add_org, add_person, build_world
from playwright.sync_api import Page, expect
from test_browser import path_of, sign_in, watch

from portal import clock
from portal.db import transaction
from portal.orgs.models import OrgKind, Tier
from portal.people.models import Role

pytestmark = pytest.mark.browser

VALID_ID = "11010519491231002X"
ID_MASKED = "110105********002X"


# --- helpers --------------------------------------------------------------------------------
def today() -> str:
    """The server's today: record dates may not be later than that (the forms' `max` uses the portal's time zone)."""
    return clock.today().isoformat()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login\?reason=signed_out$"))


def switch_to(page: Page, username: str) -> None:
    sign_out(page)
    sign_in(page, username)


def fill(page: Page, values: dict[str, str]) -> None:
    """Fill form fields by name (ids are `f-<name>`): selects by option value, the rest by typing."""
    for name, value in values.items():
        field = page.locator(f"#f-{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def flash(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.locator("#flashes")).to_contain_text(text)


def state_badge(page: Page):  # noqa: ANN201
    return page.locator("#case-badges [data-state]")


def register(page: Page, org: str, *, title: str, channel: str, applicant: str, respondent: str) -> str:
    """Register a case at one window through 案件 → 登记案件; returns the case page's path."""
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="案件", exact=True).click()
    page.get_by_role("link", name="登记案件").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登记案件（一窗受理）")
    page.locator("#f-org_id").select_option(label=org)
    fill(
        page,
        {
            "title": title,
            "channel": channel,
            "dispute_type": "0301",
            "received_on": today(),
            "people_involved": "2",
            "summary": "两家因宅基地界线发生争执，多次协商未果。",
            "requests": "确认宅基地界线",
        },
    )
    first, second = page.locator("#party-0"), page.locator("#party-1")
    expect(first.get_by_label("身份")).to_have_value("申请人")
    expect(second.get_by_label("身份")).to_have_value("被申请人")
    first.get_by_label("姓名或名称").fill(applicant)
    first.get_by_label("证件类型").select_option(label="居民身份证")
    first.get_by_label("证件号码").fill(VALID_ID)
    first.get_by_label("联系电话").fill("13912345678")
    second.get_by_label("姓名或名称").fill(respondent)
    page.get_by_role("button", name="登记", exact=True).click()
    flash(page, "已登记案件：")
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(state_badge(page)).to_have_text("已登记")
    parties = page.locator("#parties tbody")
    expect(parties).to_contain_text(applicant)
    expect(parties).to_contain_text(respondent)
    expect(parties).to_contain_text(ID_MASKED)  # the ID number is masked on the page
    return path_of(page)


def take(page: Page, label: str, state: str, fields: dict[str, str] | None = None) -> None:
    """On the case page: the action's link → its form (with its record's fields) → 确认… → back on the case page."""
    page.locator("#actions").get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(label)
    if fields:
        fill(page, fields)
    page.get_by_role("button", name=f"确认{label}").click()
    flash(page, f"已完成“{label}”。")
    expect(state_badge(page)).to_have_text(state)


def add_record(page: Page, label: str, fields: dict[str, str]) -> None:
    page.locator("#records").get_by_role("link", name=f"添加{label}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"添加{label}")
    fill(page, fields)
    page.get_by_role("button", name="保存", exact=True).click()
    flash(page, f"已添加{label}。")
    expect(page.locator("#records")).to_contain_text(label)


def draft_transfer(page: Page, to_org_id: int, kind: str, letter: str) -> None:
    page.locator("#transfers summary", has_text="移送、交办、上报或对接").click()
    fill(page, {"to_org_id": str(to_org_id), "kind": kind, "letter": letter})
    page.get_by_role("button", name="拟移送函").click()
    flash(page, re.compile(r"移送函已拟好，待.+的负责人审签后发出。"))
    expect(page.locator("#transfers article")).to_contain_text("待审签")


def sign_off_from_outbox(page: Page, number: str) -> None:
    """The sending body's leader finds the draft in 待审签 on the workspace and signs it off on the case page."""
    page.goto("/workspace")
    page.locator("#queue-sign").click()
    row = page.locator("#transfers-list tr", has_text=number)
    expect(row).to_contain_text("待审签")
    row.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(number)
    page.locator("#transfers").get_by_role("button", name="审签并发出").click()
    flash(page, re.compile(r"移送函已审签发出，接收机构应在 \d+ 日内答复。"))
    expect(page.locator("#transfers article")).to_contain_text("已发送待接收")
    expect(page.locator("#in-transfer")).to_contain_text("案件正在移送中")
    expect(page.locator("#actions")).to_have_count(0)  # nobody acts on a case in transit


def transfers_tab(page: Page, queue: str) -> None:
    """移送 in the navigation, then one of its queues."""
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="移送", exact=True).click()
    expect(page).to_have_url(re.compile(r"/transfers/?$"))  # arrived, before the tab is pressed
    page.locator(f"#queue-tabs [data-queue={queue}]").click()
    expect(page.locator(f"#queue-tabs [data-queue={queue}]")).to_have_attribute("aria-current", "true")


def open_from_inbox(page: Page, number: str, kind: str, sender: str) -> None:
    transfers_tab(page, "inbox")
    row = page.locator("#transfers-list tr", has_text=number)
    expect(row).to_contain_text(kind)
    expect(row).to_contain_text(sender)
    row.get_by_role("link", name="查看并答复").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(number)


def accept_and_assign(page: Page, number: str, kind: str, sender: str, receiver: str) -> None:
    """The receiver's director: the inbox → 接收 → 受理 → 指派调解员 (东镇调解员)."""
    open_from_inbox(page, number, kind, sender)
    page.locator("#transfers").get_by_role("button", name="接收", exact=True).click()
    flash(page, "已接收移送的案件，本机构开始办理。")
    expect(page.locator("#transfers article")).to_contain_text("已接收")
    expect(page.locator("#details-title + dl")).to_contain_text(f"办理机构{receiver}")
    take(page, "受理", "已受理")
    expect(page.locator("#details-title + dl")).to_contain_text(f"受理日期{today()}")
    page.get_by_label("指派调解员").select_option(label=f"东镇调解员（{receiver}）")
    page.get_by_role("button", name="指派", exact=True).click()
    flash(page, "已指派调解员。")
    expect(page.locator("#mediators")).to_contain_text("东镇调解员 主办")


def mediate_to_closure(page: Page, sender: str) -> None:
    """The mediator: 开始调解 → 人民调解记录 → 人民调解协议书 → 调解成功 → 进入履行 → 履行情况 → 结案."""
    take(page, "开始调解", "调解中")
    expect(page.locator("#actions")).to_contain_text("还需要：人民调解记录、人民调解协议书或口头协议登记表")
    add_record(
        page,
        "人民调解记录",
        {
            "held_on": today(),
            "place": "东镇调委会调解室",
            "mediators": "东镇调解员",
            "parties_present": "王某、赵某",
            "content": "调解员释明宅基地管理规定，双方各自陈述。",
            "result": "双方同意以现有围墙为界。",
        },
    )
    add_record(
        page,
        "人民调解协议书",
        {
            "facts": "双方因宅基地界线发生争执。",
            "responsibilities": "双方均有责任。",
            "terms": "以现有围墙为界，赵某拆除越界部分。",
            "performance_method": "自行拆除",
            "performance_deadline": "十五日内",
            "copies": "3",
            "signed_on": today(),
        },
    )
    expect(page.locator("#records")).to_contain_text("以现有围墙为界，赵某拆除越界部分。")
    take(page, "调解成功", "调解成功")
    take(page, "进入履行", "履行中")
    expect(page.locator("#actions")).to_contain_text("还需要：履行情况")
    add_record(page, "履行情况", {"performed_on": today(), "status": "全部履行", "details": "赵某已拆除越界部分。"})
    take(page, "结案", "已结案", {"closed_on": today(), "summary": "协议已全部履行，纠纷化解。"})
    transfer = page.locator("#transfers article")
    expect(transfer).to_contain_text(re.compile(r"结果反馈：案件 .+ 已结案，结果：书面协议。"))
    expect(page.locator("#timeline")).to_contain_text(f"结果已反馈给 {sender}：书面协议")


def timeline(page: Page) -> list[str]:
    """The timeline's entries as `actor（org）：summary`, without their times."""
    return [
        re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d\s+", "", text.strip())
        for text in page.locator("#timeline li").all_inner_texts()
    ]


# --- the world ------------------------------------------------------------------------------
@dataclass
class Extra:
    bureau_id: int
    village_id: int
    township_id: int
    b1_id: int


def build(engine) -> Extra:  # noqa: ANN001
    """The test world plus a petition bureau's 访调对接中心 under county A with a clerk and a director, and
    directors at the village and at the township (the township's one also answers transfers)."""
    world = build_world(engine)
    with transaction(engine) as db:
        a, a1, a1a, b1 = (world.org(key) for key in ("a", "a1", "a1a", "b1"))
        bureau = add_org(db, "甲县信访局访调对接中心", a, Tier.COUNTY, OrgKind.PETITION, "甲信")
        add_person(db, "bureau.clerk", "信访受理员", (bureau, Role.CLERK))
        add_person(db, "bureau.director", "信访主任", (bureau, Role.DIRECTOR))
        add_person(db, "a1a.director", "桃花村主任", (a1a, Role.DIRECTOR))
        add_person(db, "a1.director", "东镇主任", (a1, Role.DIRECTOR))
        add_person(db, "b1.clerk", "西镇受理员", (b1, Role.CLERK))
        return Extra(bureau.id, a1a.id, a1.id, b1.id)


TOWNSHIP = "甲县东镇人民调解委员会"


# --- the tests ------------------------------------------------------------------------------
def test_a_grid_report_travels_from_the_village_to_the_township_and_round_the_whole_loop(page, live_server, engine):
    extra = build(engine)
    problems = watch(page)
    group = "桃花村第一网格"

    # the 网格员 reports at the village (its grid) and sends the case up to the township
    sign_in(page, "a1a.grid")
    case_path = register(
        page, group, title="王某与赵某宅基地纠纷", channel="网格员上报", applicant="王某", respondent="赵某"
    )
    number = page.get_by_role("heading", level=1).inner_text()
    assert re.fullmatch(rf"（{clock.today().year}）桃一人调字第001号", number)
    expect(page.locator("#details-title + dl")).to_contain_text("来源渠道网格员上报")
    draft_transfer(
        page, extra.township_id, "上报", "网格员排查发现宅基地纠纷，村调委会调解未果，报请镇调委会调解。附：现场照片。"
    )
    expect(page.locator("#transfers").get_by_role("button", name="审签并发出")).to_have_count(
        0
    )  # a 网格员 does not sign off

    # the village's director signs the letter off
    switch_to(page, "a1a.director")
    sign_off_from_outbox(page, number)

    # the township answers: accepts the transfer and the case, and assigns the mediator
    switch_to(page, "a1.director")
    accept_and_assign(page, number, "上报", group, TOWNSHIP)

    # the mediator mediates to an agreement, it is performed, the case is closed and fed back
    switch_to(page, "a1.mediator")
    page.goto(case_path)
    mediate_to_closure(page, group)
    expect(page.locator("#details-title + dl")).to_contain_text(f"结案日期{today()}")
    take(
        page,
        "回访",
        "已回访",
        {
            "held_on": today(),
            "method": "电话",
            "visitor": "东镇调解员",
            "performance": "全部履行",
            "satisfaction": "满意",
            "risk": "无",
        },
    )
    take(page, "评价", "已评价（待立卷）", {"source": "回访评价", "score": "5", "comment": "调解员耐心细致。"})

    expect(state_badge(page)).to_have_text("已评价（待立卷）")
    expect(page.locator("#actions")).to_have_count(0)
    cards = page.locator("#records article h3")
    expect(cards).to_have_count(6)
    for label in ("人民调解记录", "人民调解协议书", "履行情况", "结案报告", "人民调解回访记录", "评价"):
        expect(cards.filter(has_text=label)).to_have_count(1)
    grid, village_director, director, mediator, system = (
        f"桃花网格员（{group}）",
        "桃花村主任（东镇桃花村人民调解委员会）",  # the signer's own organisation, not the case's
        f"东镇主任（{TOWNSHIP}）",
        f"东镇调解员（{TOWNSHIP}）",
        f"系统（{TOWNSHIP}）",
    )
    steps = [
        f"{grid}：登记案件 {number}（网格员上报）",
        f"{grid}：拟上报至 {TOWNSHIP}，移送函待 东镇桃花村人民调解委员会 审签",
        f"{village_director}：移送函已审签，案件上报至 {TOWNSHIP}",
        f"{director}：{TOWNSHIP} 接收移送的案件",
        f"{director}：受理案件",
        f"{director}：指派调解员：东镇调解员",
        f"{mediator}：开始调解",
        f"{mediator}：添加人民调解记录",
        f"{mediator}：添加人民调解协议书",
        f"{mediator}：调解成功，达成协议",
        f"{mediator}：协议进入履行",
        f"{mediator}：添加履行情况",
        f"{mediator}：结案",
        f"{system}：结果已反馈给 {group}：书面协议",
        f"{mediator}：完成回访",
        f"{mediator}：登记评价",
    ]
    seen = timeline(page)
    # The feedback is written (and so listed) just before the 结案 event it follows from: compare that pair as a set.
    assert seen[:12] == steps[:12] and set(seen[12:14]) == set(steps[12:14]) and seen[14:] == steps[14:], seen
    problems.assert_none()


def test_a_petition_bureau_case_closed_at_the_township_is_fed_back_to_the_bureau(page, live_server, engine):
    extra = build(engine)
    problems = watch(page)
    bureau = "甲县信访局访调对接中心"

    sign_in(page, "bureau.clerk")
    case_path = register(
        page, bureau, title="王某与赵某宅基地纠纷（信访）", channel="信访移交", applicant="王某", respondent="赵某"
    )
    number = page.get_by_role("heading", level=1).inner_text()
    draft_transfer(
        page,
        extra.township_id,
        "访调对接",
        "信访人王某反映宅基地界线纠纷，适宜人民调解，依访调对接机制转东镇调委会调解。",
    )
    switch_to(page, "bureau.director")
    sign_off_from_outbox(page, number)

    switch_to(page, "a1.director")
    accept_and_assign(page, number, "访调对接", bureau, TOWNSHIP)
    switch_to(page, "a1.mediator")
    page.goto(case_path)
    mediate_to_closure(page, bureau)

    # the bureau sees the result among its transfers, and the case read-only
    switch_to(page, "bureau.clerk")
    transfers_tab(page, "inbox")
    expect(page.locator("#transfer-table")).to_contain_text("没有待接收的移送。")
    transfers_tab(page, "sent")
    row = page.locator("#transfers-list tr", has_text=number)
    for text in ("访调对接", TOWNSHIP, "已接收", f"案件 {number} 已结案，结果：书面协议。"):
        expect(row).to_contain_text(text)
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(re.compile(re.escape(case_path) + "(#transfers)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(number)
    expect(state_badge(page)).to_have_text("已结案")
    expect(page.locator("#read-only")).to_contain_text(f"本案已由 {TOWNSHIP} 办理，您所在机构可以查看，不能办理。")
    expect(page.locator("#transfers article")).to_contain_text(f"结果反馈：案件 {number} 已结案，结果：书面协议。")
    expect(page.locator("#records")).to_contain_text("协议已全部履行，纠纷化解。")
    main = page.locator("main")
    expect(page.locator("#actions")).to_have_count(0)
    expect(main.get_by_role("link", name="修改基本信息")).to_have_count(0)
    expect(main.get_by_role("link", name=re.compile("^添加"))).to_have_count(0)
    expect(main.locator("form[method=post]")).to_have_count(0)  # nothing to submit on this page
    problems.assert_none()


def test_a_refusal_records_its_reason_and_ends_the_actions(page, live_server, engine):
    build(engine)
    problems = watch(page)
    sign_in(page, "a.clerk")
    register(page, "甲县矛调中心", title="钱某与孙某借款纠纷", channel="来访", applicant="钱某", respondent="孙某")
    actions = page.locator("#actions")
    expect(actions.get_by_role("link")).to_have_text(["受理", "不予受理"])

    actions.get_by_role("link", name="不予受理", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("不予受理")
    page.locator("form.form").evaluate("f => { f.noValidate = true; }")  # let the empty reason reach the server
    fill(page, {"routes": "可向人民法院起诉。", "issued_on": today()})
    page.get_by_role("button", name="确认不予受理").click()
    expect(page.locator("#f-reason-error")).to_have_text("请填写不予受理的理由。")
    expect(page.locator(".page-header__meta")).to_contain_text("当前状态：已登记")
    expect(page.locator("#f-routes")).to_have_value("可向人民法院起诉。")

    reason = "该纠纷已由人民法院受理，依法不予受理。"
    fill(page, {"reason": reason, "routes": "请等待人民法院审理结果，或向法院申请调解。"})
    page.get_by_role("button", name="确认不予受理").click()
    flash(page, "已完成“不予受理”。")
    expect(state_badge(page)).to_have_text("不予受理")
    record = page.locator("#records article")
    expect(record).to_have_count(1)
    expect(record.locator("h3")).to_have_text(f"不予受理告知书 {today()}")
    for text in (f"不予受理的理由{reason}", "当事人可选择的其他途径请等待人民法院审理结果，或向法院申请调解。"):
        expect(record).to_contain_text(text)
    expect(page.locator("#actions")).to_have_count(0)
    expect(page.get_by_role("link", name="修改基本信息")).to_have_count(0)
    expect(page.locator("#transfers summary", has_text="移送、交办、上报或对接")).to_have_count(
        0
    )  # a refused case is not routed on
    assert timeline(page)[-1] == "甲受理员（甲县矛调中心）：不予受理，已出具不予受理告知书"
    problems.assert_none(r"status of 422 .*/actions/refuse\]$")


def test_a_returned_transfer_shows_its_reason_and_the_sender_acts_again(page, live_server, engine):
    extra = build(engine)
    problems = watch(page)
    sign_in(page, "a.clerk")
    case_path = register(
        page, "甲县矛调中心", title="周某与吴某相邻关系纠纷", channel="来访", applicant="周某", respondent="吴某"
    )
    number = page.get_by_role("heading", level=1).inner_text()
    draft_transfer(page, extra.b1_id, "移送", "当事人均居住在乙县西镇，依属地原则移送西镇调委会调解。")
    switch_to(page, "a.director")
    sign_off_from_outbox(page, number)

    switch_to(page, "b1.clerk")
    open_from_inbox(page, number, "移送", "甲县矛调中心")
    card = page.locator("#transfers article")
    expect(card).to_contain_text("已发送待接收")
    card.locator("form", has=page.get_by_label("退回理由")).evaluate("f => { f.noValidate = true; }")
    card.get_by_role("button", name="退回", exact=True).click()
    expect(page.locator("#f-reason-error")).to_have_text("退回须写明理由（至少 4 个字）。")
    expect(page.locator("#form-errors")).to_contain_text("提交未成功")
    card = page.locator("#transfers article")
    expect(card.locator(".badge")).to_have_text("已发送待接收")  # nothing changed
    expect(page.locator("#in-transfer")).to_be_visible()

    reason = "经核实当事人户籍及住所均在甲县，不属本会管辖。"
    page.get_by_label("退回理由").fill(reason)
    card.get_by_role("button", name="退回", exact=True).click()
    expect(page).to_have_url(re.compile(r"/transfers/?$"))
    flash(page, "已退回移送，理由已告知移送机构。")
    transfers_tab(page, "inbox")
    expect(page.locator("#transfer-table")).to_contain_text("没有待接收的移送。")

    switch_to(page, "a.clerk")
    expect(page.locator("#returned")).to_contain_text(reason)  # on the sender's workspace until it acts
    transfers_tab(page, "returned")
    row = page.locator("#transfers-list tr", has_text=number)
    expect(row.locator(".badge")).to_have_text("已退回")
    expect(row).to_contain_text(f"退回理由：{reason}")
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(re.compile(re.escape(case_path) + "(#transfers)?$"))
    card = page.locator("#transfers article")
    expect(card.locator(".badge")).to_have_text("已退回")
    expect(card).to_contain_text(f"退回理由：{reason}")
    expect(page.locator("#in-transfer")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text(
        f"西镇受理员（乙县西镇人民调解委员会）：乙县西镇人民调解委员会 退回移送：{reason}"
    )
    expect(
        page.locator("#transfers summary", has_text="移送、交办、上报或对接")
    ).to_be_visible()  # it may be routed again
    take(page, "受理", "已受理")
    page.goto("/workspace")
    expect(page.locator("#queue-returned .card__value")).to_have_text("0")  # acting on the case took it off
    expect(page.locator("#returned")).to_have_count(0)
    problems.assert_none(r"status of 422 .*/transfers/\d+/return\]$")
