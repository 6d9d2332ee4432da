"""Training records on SQLite and PostgreSQL: the form and its refusals, who may be enrolled, who sees a session, the
roster's history, and the statistics (the training indicators) agreeing with the list they link to."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from factories import add_supervising_body, build_world, csrf, sign_in
from sqlmodel import Session, select

from portal import clock
from portal.people.models import Person
from portal.scope import load_principal
from portal.stats import service as stats
from portal.stats.dimensions import Place
from portal.stats.periods import Period
from portal.training.models import TrainingAttendee, TrainingSession


@pytest.fixture
def world(engine):  # noqa: ANN001, ANN201
    w = build_world(engine)
    add_supervising_body(engine, w)  # 甲县司法局 supervises county A: its 督导 trains the county's people
    return w


def _post(client, world, **fields):  # noqa: ANN001, ANN003, ANN201
    data = {
        "org_id": str(world.org("a").id),
        "held_on": clock.today().isoformat(),
        "topic": "人民调解法与文书规范",
        "kind": "business",
        "hours": "2.5",
        "place": "县司法局会议室",
        "attendees": [str(world.person("a1.mediator").id), str(world.person("a1a.grid").id)],
        "_csrf_token": csrf(client),
    }
    data.update(fields)
    return client.post("/training", data=data, follow_redirects=False)


def test_a_director_records_a_session_and_the_roster_shows_it(client, engine, world) -> None:
    sign_in(client, "a.director")
    form = BeautifulSoup(client.get(f"/training/new?org={world.org('a').id}").text, "html.parser")
    offered = {int(i["value"]) for i in form.select("input[name=attendees]")}
    assert world.person("a1a.grid").id in offered and world.person("b1.mediator").id not in offered
    response = _post(client, world)
    assert response.status_code == 303
    shown = client.get(response.headers["location"]).text
    assert "东镇调解员" in shown and "桃花网格员" in shown and "2.5" in shown
    roster = BeautifulSoup(client.get(f"/roster?org={world.org('a1').id}").text, "html.parser")
    row = next(r for r in roster.select("tbody tr") if "东镇调解员" in r.text)
    assert "人民调解法与文书规范" in row.select_one(".training-last").text
    assert row.select_one(".training-year").text.strip() == "1 场 2.5 学时"
    with Session(engine) as db:
        assert db.exec(select(TrainingAttendee)).all().__len__() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"topic": ""}, "topic"),
        ({"hours": "0"}, "hours"),
        ({"hours": "1.25"}, "hours"),
        ({"hours": "２"}, "hours"),
        ({"held_on": "2999-01-01"}, "held_on"),
        ({"kind": "party"}, "kind"),
        ({"attendees": []}, "attendees"),
        ({"topic": "培训\u202e"}, "topic"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_saves_nothing(client, engine, world, fields, field) -> None:
    sign_in(client, "a.director")
    response = _post(client, world, **fields)
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#form-errors") is not None
    with Session(engine) as db:
        assert db.exec(select(TrainingSession)).first() is None


def test_attendees_come_from_the_organisers_scope_only(client, engine, world) -> None:
    sign_in(client, "a.director")
    outsider = str(world.person("b1.mediator").id)
    response = _post(client, world, attendees=[str(world.person("a1.mediator").id), outsider])
    assert response.status_code == 422 and "参训人员只能从" in response.text
    client.cookies.clear()
    sign_in(client, "a.clerk")  # a clerk organises nothing
    assert _post(client, world).status_code == 403


def test_the_bureau_trains_the_county_it_supervises_and_a_village_sees_the_session(client, engine, world) -> None:
    sign_in(client, "s.supervisor")  # 甲县司法局's 督导: organises at the bureau, enrols county A's people
    response = _post(client, world, org_id=str(world.org("a_sfj").id))
    assert response.status_code == 303
    session_url = response.headers["location"]
    assert _post(client, world, org_id=str(world.org("a").id)).status_code == 403  # not in county A itself
    client.cookies.clear()
    sign_in(client, "a1a.grid")  # an attendee's village: sees the bureau's session it attended
    assert client.get(session_url).status_code == 200
    client.cookies.clear()
    sign_in(client, "b1.mediator")  # another county: nothing
    assert client.get(session_url).status_code == 404
    assert "人民调解法" not in client.get("/training").text


def test_the_training_indicators_equal_their_lists(client, engine, world) -> None:
    sign_in(client, "a.director")
    assert _post(client, world).status_code == 303
    assert _post(client, world, attendees=[str(world.person("a1.mediator").id)], topic="示范").status_code == 303
    today = clock.today()
    year = Period("year", date(today.year, 1, 1), date(today.year, 12, 31))
    keys = ["training_sessions", "training_attendees", "trained_mediators", "mediators", "trained_share"]
    with Session(engine) as db:
        viewer = load_principal(db, db.exec(select(Person).where(Person.username == "a.director")).one())
        basis = stats.Basis(today=today)
        total = stats.table(db, viewer, Place(), year, keys, basis=basis).total.cells
        by_org = stats.table(db, viewer, Place(), year, keys, "org", basis=basis)
    assert (total["training_sessions"].value, total["training_attendees"].value) == (2, 3)
    assert total["trained_mediators"].value == 2  # 东镇调解员 and 桃花网格员 (mediators); a.director is not one
    assert total["trained_share"].parts == (2, total["mediators"].value)
    page = BeautifulSoup(client.get("/training?" + total["training_sessions"].link.query).text, "html.parser")
    assert page.select_one("#training-total [data-total]").text == "2"
    assert page.select_one("#training-total [data-attendees]").text == "3"
    assert sum(r.cells["training_sessions"].value for r in by_org.rows) == 2
