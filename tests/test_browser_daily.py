"""The daily path in real Chromium at a 390×844 phone screen, with JavaScript on and off: the grid worker's quick report
within its target (≤ 2 page loads, ≤ 10 taps, the form in 2 screens), the queues on the workspace, letters signed by
the petition bureau's and a police station's own leaders, a returned transfer on the sender's workspace, the case page
folded into sections, and the audit filters."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from daily import build_daily_world, register, who
from PIL import Image
from playwright.sync_api import Locator, Page, Response, expect
from sqlmodel import Session, select
from test_browser import sign_in, watch

from portal.audit import service as audit
from portal.cases import transfers
from portal.cases.models import Case, CaseFile, Transfer, TransferState
from portal.orgs.models import Organisation
from portal.people.models import Person

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LETTER = "当事人因邻里排水纠纷多次报警，经现场处置，双方同意人民调解，请贵委会调解。"


@pytest.fixture(params=["js", "nojs"])
def phone(request: pytest.FixtureRequest, live_server: str) -> Page:
    """A phone-sized page, with JavaScript (htmx boosting every link and form) or without."""
    page = request.getfixturevalue("page" if request.param == "js" else "page_nojs")
    page.set_viewport_size(PHONE)
    return page


@dataclass
class Meter:
    """Taps and page loads, counted as a person on a phone makes them: a tap per button, choice, field focused (the
    typing that follows is not a tap) and photo taken; a load per page shown (a redirect's target is the same load)."""

    page: Page
    taps: int = 0
    loads: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("response", self._seen)

    def _seen(self, response: Response) -> None:
        first = request = response.request
        while first.redirected_from is not None:  # a POST answered 303 and the page it leads to: one load
            first = first.redirected_from
        shown = first.is_navigation_request() or first.headers.get("hx-boosted") == "true"
        if shown and response.status < 300 and request.frame == self.page.main_frame:
            self.loads.append(request.url)

    def reset(self) -> None:
        self.taps, self.loads[:] = 0, []

    def tap(self, target: Locator) -> None:
        self.taps += 1
        target.click()

    def type(self, target: Locator, text: str) -> None:
        self.tap(target)
        self.page.keyboard.type(text)

    def photo(self, slot: Locator, path: Path) -> None:
        self.taps += 1  # the camera button; the shutter is the camera app's
        slot.set_input_files(str(path))


def jpeg(tmp_path: Path, name: str, colour: str) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return path


def flash(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.locator("#flashes")).to_contain_text(text)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login\?reason=signed_out$"))


def test_a_grid_workers_quick_report_takes_two_page_loads_and_ten_taps(phone, engine, tmp_path) -> None:
    world = build_daily_world(engine)
    problems = watch(phone)
    sign_in(phone, "a1a.grid")
    meter = Meter(phone)
    meter.reset()

    meter.tap(phone.get_by_role("link", name="上报纠纷（随手拍）"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("上报纠纷")
    expect(phone.locator("#report-route")).to_have_text("桃花村第一网格 → 东镇桃花村人民调解委员会")
    height, width = phone.evaluate("[document.documentElement.scrollHeight, document.documentElement.scrollWidth]")
    assert height <= 2 * PHONE["height"] and width == PHONE["width"], (height, width)  # the form in two screens

    meter.type(phone.get_by_label("发生了什么"), "两户因排水沟堵塞争吵，一方要求赔偿")
    meter.type(phone.get_by_label("地点"), "桃花村三组")
    meter.type(phone.get_by_label("当事人姓名"), "赵大妈")
    meter.type(phone.get_by_label("电话", exact=True), "13900001111")
    meter.tap(phone.locator(".chip", has_text="邻里"))
    slots = phone.locator("[data-photo-slot] input")
    meter.photo(slots.nth(0), jpeg(tmp_path, "drain.jpg", "brown"))
    expect(slots.nth(1)).to_be_visible()  # with JavaScript the next slot appears; without, all are there
    meter.photo(slots.nth(1), jpeg(tmp_path, "yard.jpg", "green"))
    meter.tap(phone.get_by_label("有矛盾激化风险，需尽快处理"))
    meter.tap(phone.get_by_role("button", name="上报"))

    flash(phone, re.compile(r"已上报 （\d{4}）桃一人调字第001号，已送 东镇桃花村人民调解委员会 接收。"))
    expect(phone.locator("#in-transfer")).to_be_visible()
    assert meter.taps <= 10 and len(meter.loads) <= 2, (meter.taps, meter.loads)
    assert (meter.taps, len(meter.loads)) == (10, 2)  # as the README describes it
    with Session(engine) as db:
        case = db.exec(select(Case)).one()
        transfer = db.exec(select(Transfer)).one()
        assert case.org_id == world.org("a1a_g").id and case.risk_flag and case.channel == "网格员上报"
        assert (transfer.to_org_id, transfer.state) == (world.org("a1a").id, TransferState.SENT)
        assert len(db.exec(select(CaseFile).where(CaseFile.case_id == case.id)).all()) == 2

    # the village director finds it in 待接收 and accepts it, as any letter
    sign_out(phone)
    sign_in(phone, "a1a.director")
    expect(phone.locator("#queue-inbox .card__value")).to_have_text("1")
    phone.locator("#queue-inbox").click()
    phone.get_by_role("link", name="查看并答复").click()
    phone.locator("#transfers").get_by_role("button", name="接收", exact=True).click()
    flash(phone, "已接收移送的案件，本机构开始办理。")
    problems.assert_none()


def test_an_incomplete_report_keeps_what_was_typed_on_a_phone(phone, engine) -> None:
    build_daily_world(engine)
    problems = watch(phone)
    sign_in(phone, "a1a.grid")
    phone.get_by_role("link", name="上报纠纷（随手拍）").click()
    phone.get_by_label("发生了什么").fill("两户因排水沟堵塞争吵")
    phone.get_by_label("当事人姓名").fill("赵大妈")
    phone.get_by_role("button", name="上报").click()
    expect(phone.locator("#f-dispute_type-error")).to_have_text("请选择纠纷类型。")
    expect(phone.get_by_label("发生了什么")).to_have_value("两户因排水沟堵塞争吵")
    expect(phone.get_by_label("当事人姓名")).to_have_value("赵大妈")
    problems.assert_none(r"status of 422")


def _letter(engine, world, org: str, by: str, to: str, kind: str) -> str:  # noqa: ANN001
    """A case registered at `org` with a letter to `to` awaiting its sign-off; returns the case number."""
    with Session(engine) as db:
        case = register(db, world, org, by)
        transfers.create(db, who(db, world, by), case, to_org_id=str(world.org(to).id), kind=kind, letter=LETTER)
        db.commit()
        return case.number


@pytest.mark.parametrize(
    ("org", "clerk", "head", "kind", "signer_org"),
    [
        ("xf", "xf.clerk", "xf.head", "访调对接", "甲县信访局访调对接中心"),
        ("pcs", "pcs.police", "pcs.head", "公调对接", "东镇派出所"),
    ],
)
def test_a_body_signs_its_own_letter_from_its_queue_and_the_receiver_answers_from_its_own(
    phone, engine, org, clerk, head, kind, signer_org
) -> None:
    world = build_daily_world(engine)
    number = _letter(engine, world, org, clerk, "a1", kind)
    problems = watch(phone)

    sign_in(phone, "a1.director")  # the receiver: nothing to sign, nothing to accept yet
    expect(phone.locator("#queue-sign .card__value")).to_have_text("0")
    expect(phone.locator("#queue-inbox .card__value")).to_have_text("0")
    sign_out(phone)

    sign_in(phone, head)
    expect(phone.locator("#queue-sign .card__value")).to_have_text("1")
    phone.locator("#queue-sign").click()
    row = phone.locator("#transfers-list tbody tr", has_text=number)
    expect(row).to_contain_text(kind)
    row.get_by_role("link", name="查看并审签").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(number)
    expect(phone.locator("#transfer-todo")).to_contain_text("待您审签")
    phone.locator("#transfers").get_by_role("button", name="审签并发出").click()
    flash(phone, re.compile(r"移送函已审签发出，接收机构应在 \d+ 日内答复。"))
    if not phone.locator("#timeline").evaluate("e => e.open"):  # folded on a phone when JavaScript runs
        phone.locator("#timeline > summary").click()
    expect(phone.locator("#timeline")).to_contain_text(f"（{signer_org}）：移送函已审签")
    sign_out(phone)

    sign_in(phone, "a1.director")
    expect(phone.locator("#queue-inbox .card__value")).to_have_text("1")
    phone.locator("#queue-inbox").click()
    phone.locator("#transfers-list tbody tr", has_text=number).get_by_role("link", name="查看并答复").click()
    phone.locator("#transfers").get_by_role("button", name="接收", exact=True).click()
    flash(phone, "已接收移送的案件，本机构开始办理。")
    problems.assert_none()


def test_a_returned_transfer_stays_on_the_senders_workspace_until_the_sender_acts(phone, engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        case = register(db, world, "a1a", "a1.mediator")
        sent = transfers.create(
            db, who(db, world, "a1.mediator"), case, to_org_id=str(world.org("a1").id), kind="上报", letter=LETTER
        )
        transfers.sign_off(db, who(db, world, "a1a.director"), sent.id, answer_days=7)
        transfers.return_(db, who(db, world, "a1.clerk"), sent.id, reason="请先由村调委会调解")
        db.commit()
        number = case.number
    problems = watch(phone)
    sign_in(phone, "a1.mediator")
    returned = phone.locator("#returned")
    expect(returned).to_contain_text(number)
    expect(returned).to_contain_text("请先由村调委会调解")
    phone.goto("/workspace")  # still there on the next visit: seeing it is not acting on it
    expect(phone.locator("#returned")).to_contain_text(number)
    phone.locator("#returned").get_by_role("button", name="本机构继续办理").click()
    flash(phone, "已知悉退回理由，本机构继续办理。")
    phone.goto("/workspace")
    expect(phone.locator("#returned")).to_have_count(0)
    expect(phone.locator("#queue-returned .card__value")).to_have_text("0")
    problems.assert_none()


def test_the_case_page_on_a_phone_puts_actions_first_and_folds_the_rest(page, live_server, engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        case_id = register(db, world, "a1a", "a1.mediator").id
        db.commit()
    page.set_viewport_size(PHONE)
    problems = watch(page)
    sign_in(page, "a1a.director")
    page.goto(f"/cases/{case_id}")
    first = page.locator("main > section, main > details").first
    expect(first).to_have_attribute("id", "actions")
    for section in ("parties", "mediators", "records", "transfers", "timeline"):
        expect(page.locator(f"#{section}")).not_to_have_attribute("open", "")
    page.locator("#case-nav").get_by_role("link", name="当事人").click()
    expect(page.locator("#parties")).to_have_attribute("open", "")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width == PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#timeline")).to_have_attribute("open", "")  # on a desktop everything stays open
    problems.assert_none()


@pytest.fixture(params=["js", "nojs"])
def desktop(request: pytest.FixtureRequest, live_server: str) -> Page:
    return request.getfixturevalue("page" if request.param == "js" else "page_nojs")


def test_the_audit_filters_show_personal_data_views_and_prints_with_chinese_labels(desktop, engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        actor, org = db.get(Person, world.person("a1.clerk").id), db.get(Organisation, world.org("a1").id)
        for code in ("case.view_personal_data", "dossier.print", "dossier.download", "case.create"):
            audit.record(db, code, actor=actor, org=org, object_type="case", object_id=1, summary=f"测试{code}" * 12)
        db.commit()
    problems = watch(desktop)
    sign_in(desktop, "a.admin")
    desktop.goto("/audit")
    scripted = desktop.evaluate("typeof window.htmx") == "object"
    for label, shown in (("全部查看个人信息", ["查看当事人信息"]), ("全部导出与打印", ["下载卷宗", "打印文书"])):
        desktop.locator("select[name=action]").select_option(label=label)
        if not scripted:
            desktop.get_by_role("button", name="筛选").click()
        rows = desktop.locator("#audit-entries tbody tr")
        expect(rows.locator(".action-label")).to_have_text(shown)
        expect(rows.locator("td.actor")).to_have_text(["东镇受理员"] * len(shown))
        name, seq = (
            rows.first.locator(cell).evaluate("e => e.getBoundingClientRect().height")
            for cell in ("td.actor", "td >> nth=0")
        )
        assert name <= seq + 1  # the name on one line beside a long summary, not one character per line
    problems.assert_none()
