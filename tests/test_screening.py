"""Screening rounds (排查): recording, cadence by tier, missed-round warnings, findings turned into problem items."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup
from factories import build_world, csrf, sign_in
from sqlmodel import Session, select

from portal import clock
from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.orgs.models import Tier
from portal.people.models import Person
from portal.problems.models import Problem
from portal.scope import load_principal
from portal.screening import service
from portal.screening.cadence import cadence_days
from portal.screening.models import ScreeningRound

TODAY = clock.today()


def post(client, url: str, data: dict):  # noqa: ANN001, ANN201
    return client.post(url, data={**data, "_csrf_token": csrf(client)}, follow_redirects=False)


def form(org_id: int, **changes: str) -> dict:
    data = {
        "org_id": str(org_id),
        "held_on": TODAY.isoformat(),
        "participants": "王主任、网格员小李",
        "area": "桃花村一至三组",
        "findings": "王李两家排水沟纠纷\n村东土地流转款未付清",
        "findings_count": "",
        "notes": "",
    }
    return {**data, **changes}


def make(engine, username: str, org_id: int, **changes: str) -> ScreeningRound:  # noqa: ANN001
    with transaction(engine) as db:
        person = db.exec(select(Person).where(Person.username == username)).one()
        return service.create_round(
            db, load_principal(db, person), service.RoundForm(**form(org_id, **changes)), today=TODAY
        )


def test_the_default_cadence_is_weekly_half_monthly_monthly_by_tier() -> None:
    assert [cadence_days(t) for t in Tier] == [None, 31, 15, 7, None]
    assert cadence_days("nonsense") is None


def test_a_mediator_records_a_round_and_it_is_audited(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a1.mediator")
    response = post(client, "/screening", form(world.org("a1a").id))
    assert response.status_code == 303
    with Session(engine) as db:
        found = db.exec(select(ScreeningRound)).one()
        assert found.findings_count == 2 and found.org_path == world.org("a1a").path
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "screening.create")).one()
        assert entry.object_id == str(found.id) and "发现 2 个问题" in entry.summary
    soup = BeautifulSoup(client.get(response.headers["location"]).text, "html.parser")
    assert [li.select_one("p").get_text(" ", strip=True) for li in soup.select("#findings > li")] == [
        "1. 王李两家排水沟纠纷",
        "2. 村东土地流转款未付清",
    ]


def test_an_invalid_round_re_renders_with_chinese_reasons(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.clerk")
    response = post(
        client,
        "/screening",
        form(
            world.org("a1").id,
            participants="",
            held_on=(TODAY + timedelta(days=2)).isoformat(),
            findings_count="1",
            area="保留的范围",
        ),
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    errors = {p["id"]: p.get_text() for p in soup.select(".field__error")}
    assert errors == {
        "f-held_on-error": "排查日期不能晚于今天。",
        "f-participants-error": "请填写参加人员。",
        "f-findings_count-error": "发现问题数不能少于列出的 2 条。",
    }
    assert soup.select_one("#f-area")["value"] == "保留的范围"


def test_a_stale_round_edit_is_a_conflict(client, engine) -> None:
    world = build_world(engine)
    found = make(engine, "a.clerk", world.org("a1").id)
    sign_in(client, "a.mediator")
    assert (
        post(client, f"/screening/{found.id}/edit", form(found.org_id, area="第一次", version="1")).status_code == 303
    )
    stale = post(client, f"/screening/{found.id}/edit", form(found.org_id, area="第二次", version="1"))
    assert (
        stale.status_code == 409
        and "第一次" in BeautifulSoup(stale.text, "html.parser").select_one("#current-values").get_text()
    )


def test_missed_rounds_are_flagged_by_cadence_within_scope_only(client, engine) -> None:
    world = build_world(engine)
    make(
        engine, "a1.mediator", world.org("a1a").id, held_on=(TODAY - timedelta(days=8)).isoformat()
    )  # village: weekly, missed
    make(
        engine, "a1.mediator", world.org("a1").id, held_on=(TODAY - timedelta(days=15)).isoformat()
    )  # township: 15 days, on time
    make(
        engine, "a.clerk", world.org("a").id, held_on=(TODAY - timedelta(days=3)).isoformat()
    )  # county: monthly, on time
    with Session(engine) as db:
        principal = load_principal(db, db.exec(select(Person).where(Person.username == "a.clerk")).one())
        missed = service.missed_rounds(db, principal, today=TODAY)
        assert [(m.org.name, m.days_since) for m in missed] == [("东镇桃花村人民调解委员会", 8)]
        city = load_principal(db, db.exec(select(Person).where(Person.username == "city.admin")).one())
        names = {m.org.name: m.last_held_on for m in service.missed_rounds(db, city, today=TODAY)}
        assert names == {
            "东镇桃花村人民调解委员会": TODAY - timedelta(days=8),
            "乙县矛调中心": None,
            "乙县西镇人民调解委员会": None,
        }
    sign_in(client, "a.supervisor")
    soup = BeautifulSoup(client.get("/screening").text, "html.parser")
    warning = soup.select_one("#missed-rounds").get_text()
    assert "东镇桃花村人民调解委员会" in warning and "每周" in warning and "乙县" not in warning
    assert len(soup.select("#rounds tbody tr")) == 3


def test_county_b_rounds_are_404_for_county_a_and_absent_from_the_list(client, engine) -> None:
    world = build_world(engine)
    theirs = make(engine, "b1.mediator", world.org("b1").id, area="西镇全域")
    sign_in(client, "a.director")
    assert client.get(f"/screening/{theirs.id}").status_code == 404
    assert post(client, f"/screening/{theirs.id}/findings/1/problem", {"risk": "low"}).status_code == 404
    assert "西镇全域" not in client.get("/screening").text


def test_a_finding_becomes_a_problem_item_linked_to_the_round_once(client, engine) -> None:
    world = build_world(engine)
    found = make(engine, "a1.mediator", world.org("a1a").id, held_on=(TODAY - timedelta(days=2)).isoformat())
    sign_in(client, "a.clerk")
    url = f"/screening/{found.id}/findings/2/problem"
    assert post(client, url, {"risk": "high", "due_on": (TODAY + timedelta(days=7)).isoformat()}).status_code == 303
    with Session(engine) as db:
        item = db.exec(select(Problem)).one()
        assert (item.title, item.source, item.screening_id, item.screening_finding, item.risk.value, item.found_on) == (
            "村东土地流转款未付清",
            "排查",
            found.id,
            2,
            "high",
            found.held_on,
        )
        assert item.org_id == found.org_id
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "problem.create")).one().object_id == str(item.id)
    again = post(client, url, {"risk": "high"})
    assert again.status_code == 303
    with Session(engine) as db:
        assert len(db.exec(select(Problem)).all()) == 1
    page = BeautifulSoup(client.get(f"/screening/{found.id}").text, "html.parser")
    assert "已登记" in page.select_one("#finding-2").get_text() and page.select_one("#finding-2 form") is None
    assert page.select_one("#finding-1 form") is not None
    assert post(client, f"/screening/{found.id}/findings/9/problem", {"risk": "low"}).status_code == 404
    bad = post(client, f"/screening/{found.id}/findings/1/problem", {"risk": "extreme"})
    assert bad.status_code == 422 and "请选择风险等级。" in bad.text
