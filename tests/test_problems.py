"""The problem list (问题清单): registering, editing, the lifecycle to 销号, scope, filters and audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from factories import build_world, csrf, sign_in
from sqlmodel import Session, select

from portal import clock
from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.errors import Forbidden, Invalid
from portal.people.models import Person
from portal.problems import service
from portal.problems.models import Problem, ProblemState
from portal.scope import OutOfScope, load_principal

TODAY = clock.today()


def post(client, url: str, data: dict):  # noqa: ANN001, ANN201
    return client.post(url, data={**data, "_csrf_token": csrf(client)}, follow_redirects=False)


def form(org_id: int, **changes: str) -> dict:
    data = {
        "org_id": str(org_id),
        "title": "桃花村王李两家排水沟堵塞",
        "source": "网格员上报",
        "found_on": TODAY.isoformat(),
        "risk": "medium",
        "description": "雨季前需疏通",
        "responsible_id": "",
        "due_on": "",
    }
    return {**data, **changes}


def make(engine, username: str, org_id: int, **changes: str) -> Problem:  # noqa: ANN001
    with transaction(engine) as db:
        person = db.exec(select(Person).where(Person.username == username)).one()
        return service.create(
            db, load_principal(db, person), service.ProblemForm(**form(org_id, **changes)), today=TODAY
        )


def test_a_clerk_registers_a_problem_and_it_is_audited_with_its_history(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.clerk")
    responsible = world.person("a1.mediator")
    response = post(
        client,
        "/problems",
        form(world.org("a1a").id, responsible_id=str(responsible.id), due_on=(TODAY + timedelta(days=10)).isoformat()),
    )
    assert response.status_code == 303
    with Session(engine) as db:
        problem = db.exec(select(Problem)).one()
        assert (
            problem.org_path == world.org("a1a").path
            and problem.state is ProblemState.REGISTERED
            and problem.responsible_id == responsible.id
        )
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "problem.create")).one()
        assert entry.org_path == problem.org_path and entry.object_id == str(problem.id) and "排水沟" in entry.summary
    soup = BeautifulSoup(client.get(response.headers["location"]).text, "html.parser")
    assert "已登记：桃花村王李两家排水沟堵塞" in soup.select_one("#flashes").get_text()
    assert "登记问题" in soup.select_one("#history").get_text() and "东镇调解员" in soup.get_text()


def test_an_invalid_form_re_renders_with_the_input_and_chinese_reasons(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.mediator")
    response = post(
        client,
        "/problems",
        form(
            world.org("a1").id,
            title="",
            source="随便",
            found_on=(TODAY + timedelta(days=1)).isoformat(),
            due_on="2020-13-01",
            responsible_id=str(world.person("b1.mediator").id),
            description="保留我",
        ),
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    errors = {p["id"]: p.get_text() for p in soup.select(".field__error")}
    assert errors["f-title-error"] == "请填写问题名称。"
    assert errors["f-source-error"] == "请选择问题来源。"
    assert errors["f-found_on-error"] == "发现日期不能晚于今天。"
    assert "日期格式" in errors["f-due_on-error"] and "责任人须在该机构" in errors["f-responsible_id-error"]
    assert soup.select_one("#f-description").get_text() == "保留我"
    assert soup.select_one("#f-org_id option[selected]")["value"] == str(world.org("a1").id)


def test_a_stale_edit_is_a_conflict_that_keeps_the_input_and_shows_the_latest(client, engine) -> None:
    world = build_world(engine)
    problem = make(engine, "a.clerk", world.org("a1").id)
    sign_in(client, "a.director")
    first = post(client, f"/problems/{problem.id}/edit", form(problem.org_id, title="第一次修改", version="1"))
    assert first.status_code == 303
    second = post(client, f"/problems/{problem.id}/edit", form(problem.org_id, title="第二次修改", version="1"))
    assert second.status_code == 409
    soup = BeautifulSoup(second.text, "html.parser")
    assert "第一次修改" in soup.select_one("#current-values").get_text()
    assert (
        soup.select_one("#f-title")["value"] == "第二次修改"
        and soup.select_one('input[name="version"]')["value"] == "2"
    )
    with Session(engine) as db:
        assert db.get(Problem, problem.id).title == "第一次修改"
        assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "problem.update")).all()) == 1


def test_county_b_items_are_404_for_county_a_and_absent_from_lists_and_counts(client, engine) -> None:
    world = build_world(engine)
    ours = make(engine, "a1.mediator", world.org("a1").id, title="甲县的问题")
    theirs = make(engine, "b1.mediator", world.org("b1").id, title="乙县的问题", risk="high")
    sign_in(client, "a.supervisor")
    assert client.get(f"/problems/{theirs.id}").status_code == 404
    assert client.get(f"/problems/{ours.id}").status_code == 200
    soup = BeautifulSoup(client.get("/problems").text, "html.parser")
    titles = [a.get_text() for a in soup.select("#problems a")]
    assert titles == ["甲县的问题"]
    assert soup.select_one('[data-state="registered"]').get_text() == "1"
    with Session(engine) as db:
        assert db.exec(
            select(AuditEntry).where(
                AuditEntry.action == "security.out_of_scope", AuditEntry.object_id == str(theirs.id)
            )
        ).first()
    sign_in(client, "b1.mediator")
    assert [a.get_text() for a in BeautifulSoup(client.get("/problems").text, "html.parser").select("#problems a")] == [
        "乙县的问题"
    ]


def test_the_lifecycle_runs_to_strike_off_by_the_director_only(client, engine) -> None:
    world = build_world(engine)
    problem = make(engine, "a.clerk", world.org("a1a").id)
    sign_in(client, "a.mediator")
    url = f"/problems/{problem.id}/transition"
    assert post(client, url, {"action": "start", "version": "1"}).status_code == 303
    missing = post(client, url, {"action": "resolve", "note": " ", "version": "2"})
    assert (
        missing.status_code == 422
        and "请填写化解情况。" in BeautifulSoup(missing.text, "html.parser").select_one(".field__error").get_text()
    )
    assert post(client, url, {"action": "resolve", "note": "已疏通排水沟", "version": "2"}).status_code == 303
    assert post(client, url, {"action": "strike_off", "note": "回访无异议", "version": "3"}).status_code == 403
    assert post(client, url, {"action": "start", "version": "1"}).status_code == 409
    sign_in(client, "a.director")
    assert post(client, url, {"action": "strike_off", "note": "", "version": "3"}).status_code == 422
    assert post(client, url, {"action": "strike_off", "note": "回访无异议", "version": "3"}).status_code == 303
    assert client.get(f"/problems/{problem.id}/edit").status_code == 403
    with Session(engine) as db:
        done = db.get(Problem, problem.id)
        assert (
            done.state is ProblemState.STRUCK_OFF
            and done.resolution == "已疏通排水沟"
            and done.struck_note == "回访无异议"
        )
        actions = [
            e.action
            for e in db.exec(
                select(AuditEntry).where(AuditEntry.object_type == "problem").order_by(AuditEntry.seq)
            ).all()
        ]
        assert actions == ["problem.create", "problem.start", "problem.resolve", "problem.strike_off"]
    history = BeautifulSoup(client.get(f"/problems/{problem.id}").text, "html.parser").select("#history tbody tr")
    assert [tr.select("td")[1].get_text() for tr in history] == ["甲受理员", "甲调解员", "甲调解员", "甲调委会主任"]


def test_the_transition_table_refuses_steps_from_the_wrong_state(engine) -> None:
    world = build_world(engine)
    problem = make(engine, "a.clerk", world.org("a1").id)
    with transaction(engine) as db:
        director = load_principal(db, db.exec(select(Person).where(Person.username == "a.director")).one())
        with pytest.raises(Forbidden, match="不能销号"):
            service.transition(db, director, problem.id, "strike_off", note="x", version="1", today=TODAY)
        with pytest.raises(Invalid):
            service.transition(db, director, problem.id, "explode", note="", version="1", today=TODAY)
        outsider = load_principal(db, db.exec(select(Person).where(Person.username == "b.admin")).one())
        with pytest.raises(OutOfScope):
            service.transition(db, outsider, problem.id, "start", note="", version="1", today=TODAY)
        assert [name for name, _ in service.actions_for(director, db.get(Problem, problem.id))] == ["start", "resolve"]


def test_filters_narrow_the_list_and_htmx_gets_only_the_table(client, engine) -> None:
    world = build_world(engine)
    make(
        engine,
        "a.clerk",
        world.org("a1").id,
        title="逾期的",
        due_on=(TODAY - timedelta(days=1)).isoformat(),
        found_on=(TODAY - timedelta(days=5)).isoformat(),
        risk="high",
    )
    make(
        engine,
        "a.clerk",
        world.org("a1a").id,
        title="未到期的",
        due_on=(TODAY + timedelta(days=3)).isoformat(),
        risk="low",
    )
    make(engine, "a.clerk", world.org("a_med").id, title="医疗的", risk="low")
    sign_in(client, "a.archivist")

    def titles(query: str, **headers: str) -> list[str]:
        return [
            a.get_text()
            for a in BeautifulSoup(client.get(f"/problems?{query}", headers=headers).text, "html.parser").select(
                "#problems a"
            )
        ]

    assert titles("overdue=true") == ["逾期的"]
    assert set(titles("risk=low")) == {"未到期的", "医疗的"}
    assert set(titles(f"org={world.org('a1').id}")) == {"逾期的", "未到期的"}
    assert titles("state=resolved") == []
    fragment = client.get("/problems?overdue=true", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and fragment.headers["vary"] == "HX-Request"
    assert BeautifulSoup(fragment.text, "html.parser").select_one('[data-state="overdue"]').get_text() == "1"


def test_roles_without_edit_rights_cannot_register_or_edit(client, engine) -> None:
    world = build_world(engine)
    problem = make(engine, "a.clerk", world.org("a1").id)
    sign_in(client, "a.admin")
    assert client.get("/problems/new").status_code == 403
    assert post(client, "/problems", form(world.org("a1").id)).status_code == 403
    assert post(client, f"/problems/{problem.id}/edit", form(problem.org_id, version="1")).status_code == 403
    page = BeautifulSoup(client.get(f"/problems/{problem.id}").text, "html.parser")
    assert page.select_one("#action-start") is None and page.select_one("#action-strike_off") is None
