"""The quick report (随手拍) through HTTP: one multipart request registers the report at the worker's unit, stores its
photos (checked like every upload) and sends it on to the committee above; where it goes is set per unit."""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from daily import build_daily_world
from factories import csrf, sign_in
from PIL import Image
from sqlmodel import Session, select

from portal.audit.models import AuditEntry
from portal.cases.models import Case, CaseFile, Party, ReportRoute, Transfer, TransferState


def photo(fmt: str = "JPEG", colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, fmt)
    return out.getvalue()


REPORT = {"what": "两户因排水沟堵塞争吵，一方要求赔偿", "place": "桃花村三组", "name": "赵大妈", "phone": "13900001111"}


def submit(client, data: dict, photos: list[tuple[str, bytes]] = ()):  # noqa: ANN001, ANN201
    files = [("photos", (name, content, "image/jpeg")) for name, content in photos] or None
    return client.post("/report", data={**data, "_csrf_token": csrf(client)}, files=files, follow_redirects=False)


def soup_of(response) -> BeautifulSoup:  # noqa: ANN001
    return BeautifulSoup(response.text, "html.parser")


def test_a_grid_workers_report_is_registered_at_the_grid_and_sent_to_its_village(client, engine) -> None:
    world = build_daily_world(engine)
    sign_in(client, "a1a.grid")
    form = soup_of(client.get("/report"))
    assert form.select_one("#report-route").get_text(strip=True) == "桃花村第一网格 → 东镇桃花村人民调解委员会"
    assert [i["capture"] for i in form.select("input[type=file][name=photos]")] == ["environment"] * 3
    response = submit(client, {**REPORT, "dispute_type": "02"}, [("a.jpg", photo()), ("b.png", photo("PNG"))])
    assert response.status_code == 303
    with Session(engine) as db:
        case = db.exec(select(Case)).one()
        transfer = db.exec(select(Transfer)).one()
        assert (case.org_id, case.channel, case.dispute_type, case.title) == (
            world.org("a1a_g").id,
            "网格员上报",
            "02",
            "赵大妈邻里纠纷",
        )
        assert "发生地点：桃花村三组" in case.summary and case.in_transfer
        assert [p.name for p in db.exec(select(Party).where(Party.case_id == case.id))] == ["赵大妈"]
        assert (transfer.to_org_id, transfer.kind, transfer.state) == (world.org("a1a").id, "上报", TransferState.SENT)
        assert "【矛盾纠纷上报单】" in transfer.letter and "现场照片 2 张" in transfer.letter
        stored = db.exec(select(CaseFile).where(CaseFile.case_id == case.id)).all()
        assert sorted(f.media_type for f in stored) == ["image/jpeg", "image/png"]
    page = client.get(response.headers["location"])
    assert "已送 东镇桃花村人民调解委员会 接收" in page.text
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a1a.director")
    assert "1" in soup_of(client.get("/workspace")).select_one("#queue-inbox").get_text()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"what": "吵架"}, "what", "至少 5 个字"),
        ({"name": " "}, "name", "当事人的姓名"),
        ({"dispute_type": ""}, "dispute_type", "纠纷类型"),
        ({"phone": "12ab"}, "phone", "7–12 位数字"),
    ],
)
def test_an_incomplete_report_is_shown_again_with_what_was_typed(client, engine, change, field, message) -> None:
    build_daily_world(engine)
    sign_in(client, "a1a.grid")
    response = submit(client, {**REPORT, "dispute_type": "02", **change})
    assert response.status_code == 422 and message in response.text
    page = soup_of(response)
    assert page.select_one("#f-place")["value"] == "桃花村三组"
    assert page.select_one("[name=dispute_type][checked]") is None or field != "dispute_type"
    with Session(engine) as db:
        assert db.exec(select(Case)).first() is None  # nothing half-written


def test_photos_are_checked_by_their_content_and_a_refusal_keeps_the_form(client, engine) -> None:
    build_daily_world(engine)
    sign_in(client, "a1a.grid")
    response = submit(client, {**REPORT, "dispute_type": "1001"}, [("scan.jpg", b"%PDF-1.4 not a photo")])
    assert response.status_code == 422 and "scan.jpg 不是照片" in response.text and "照片需重新选择" in response.text
    page = soup_of(response)
    assert page.select_one("#f-what").get_text() == REPORT["what"]
    assert page.select_one("[name=dispute_type][value='1001']").has_attr("checked")
    too_many = submit(client, {**REPORT, "dispute_type": "02"}, [(f"{i}.jpg", photo()) for i in range(4)])
    assert too_many.status_code == 422 and "最多上传 3 张照片" in too_many.text
    with Session(engine) as db:
        assert db.exec(select(Case)).first() is None and db.exec(select(CaseFile)).first() is None


def test_a_type_from_the_full_list_wins_over_a_tapped_one(client, engine) -> None:
    build_daily_world(engine)
    sign_in(client, "a1a.grid")
    assert submit(client, {**REPORT, "dispute_type": "02", "dispute_type_more": "0702"}).status_code == 303
    with Session(engine) as db:
        assert db.exec(select(Case.dispute_type)).one() == "0702"


def test_a_police_report_is_a_公调对接_waiting_for_the_stations_head(client, engine) -> None:
    world = build_daily_world(engine)
    sign_in(client, "pcs.police")
    response = submit(client, {**REPORT, "dispute_type": "02", "risk_flag": "1"})
    assert response.status_code == 303
    with Session(engine) as db:
        case, transfer = db.exec(select(Case)).one(), db.exec(select(Transfer)).one()
        assert case.channel == "公安移交" and case.risk_flag and not case.in_transfer
        assert (transfer.kind, transfer.state, transfer.to_org_id) == (
            "公调对接",
            TransferState.AWAITING_SIGNOFF,
            world.org("a1").id,
        )
    assert "待 东镇派出所 负责人审签" in client.get(response.headers["location"]).text


def test_an_administrator_points_a_units_reports_elsewhere_or_keeps_them_at_home(client, engine) -> None:
    world = build_daily_world(engine)
    grid = world.org("a1a_g").id
    sign_in(client, "a.admin")
    form = soup_of(client.get(f"/orgs/{grid}/report-route"))
    groups = [g["label"] for g in form.select("#f-to optgroup")]
    assert groups == ["上级机构", "其他机构"]  # a grid has no area of its own below it: the bodies above come first
    assert [o.get_text() for o in form.select("#f-to optgroup[label=上级机构] option")][:2] == [
        "东镇桃花村人民调解委员会",
        "甲县东镇人民调解委员会",
    ]
    data = {"to": str(world.org("a1").id), "version": "0", "_csrf_token": csrf(client)}
    assert client.post(f"/orgs/{grid}/report-route", data=data, follow_redirects=False).status_code == 303
    stale = client.post(f"/orgs/{grid}/report-route", data={**data, "to": "self"}, follow_redirects=False)
    assert stale.status_code == 409 and "已被他人修改" in stale.text  # the form showed version 0
    with Session(engine) as db:
        route = db.get(ReportRoute, grid)
        assert (route.to_org_id, route.version) == (world.org("a1").id, 1)
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "org.report_route")).one()
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a1a.grid")
    assert submit(client, {**REPORT, "dispute_type": "02"}).status_code == 303
    with Session(engine) as db:
        assert db.exec(select(Transfer.to_org_id)).one() == world.org("a1").id
