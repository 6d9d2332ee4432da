"""The expert pool (专家库): managed by directors and administrators, serving the owner's subtree, phones masked."""

from __future__ import annotations

from bs4 import BeautifulSoup
from factories import build_world, csrf, sign_in
from sqlmodel import Session, select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.experts import service
from portal.experts.models import Expert
from portal.people.models import Person
from portal.scope import load_principal


def post(client, url: str, data: dict):  # noqa: ANN001, ANN201
    return client.post(url, data={**data, "_csrf_token": csrf(client)}, follow_redirects=False)


def form(org_id: int, **changes: str) -> dict:
    data = {
        "org_id": str(org_id),
        "name": "周律师",
        "field": "法律",
        "employer": "甲县正义律师事务所",
        "title": "律师",
        "phone": "13912348888",
        "notes": "",
    }
    return {**data, **changes}


def make(engine, username: str, org_id: int, **changes: str) -> Expert:  # noqa: ANN001
    with transaction(engine) as db:
        person = db.exec(select(Person).where(Person.username == username)).one()
        return service.create(db, load_principal(db, person), service.ExpertForm(**form(org_id, **changes)))


def principal(db, username: str):  # noqa: ANN001, ANN201
    return load_principal(db, db.exec(select(Person).where(Person.username == username)).one())


def names(client, query: str = "") -> list[str]:  # noqa: ANN001
    return [
        a.get_text() for a in BeautifulSoup(client.get(f"/experts{query}").text, "html.parser").select("#experts a")
    ]


def test_a_director_adds_an_expert_audited_with_a_masked_phone(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.director")
    response = post(client, "/experts", form(world.org("a").id))
    assert response.status_code == 303
    with Session(engine) as db:
        expert = db.exec(select(Expert)).one()
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "expert.create")).one()
        assert (
            entry.object_id == str(expert.id) and "139****8888" in entry.changes and "13912348888" not in entry.changes
        )
    page = client.get(response.headers["location"]).text
    assert "139****8888" in page and "13912348888" not in page


def test_a_county_expert_serves_its_townships_but_never_the_other_county(client, engine) -> None:
    world = build_world(engine)
    county = make(engine, "a.admin", world.org("a").id, name="甲县专家")
    village = make(engine, "a.admin", world.org("a1a").id, name="桃花村专家", field="农业", employer="")
    theirs = make(engine, "b.admin", world.org("b").id, name="乙县专家", field="医学")
    with Session(engine) as db:
        assert sorted(service.choices(db, principal(db, "a1a.grid"))) == [
            (county.id, "甲县专家（法律 · 甲县正义律师事务所）"),
            (village.id, "桃花村专家（农业）"),
        ]
        assert [i for i, _ in service.choices(db, principal(db, "b1.mediator"))] == [theirs.id]
        assert len(service.choices(db, principal(db, "city.admin"))) == 3
    sign_in(client, "a1.mediator")
    assert sorted(names(client)) == sorted(["甲县专家", "桃花村专家"])
    assert client.get(f"/experts/{county.id}").status_code == 200
    assert client.get(f"/experts/{theirs.id}").status_code == 404
    text = client.get("/experts").text
    assert "乙县专家" not in text and "139****8888" in text and "13912348888" not in text


def test_the_field_filter_and_htmx_fragment(client, engine) -> None:
    world = build_world(engine)
    make(engine, "a.admin", world.org("a").id, name="周律师")
    make(engine, "a.admin", world.org("a").id, name="吴医生", field="医学")
    sign_in(client, "a.clerk")
    assert names(client, "?field=医学") == ["吴医生"]
    assert names(client, "?q=周") == ["周律师"]
    fragment = client.get("/experts?field=法律", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "周律师" in fragment.text and "吴医生" not in fragment.text


def test_only_directors_and_admins_manage_and_an_invalid_form_re_renders(client, engine) -> None:
    world = build_world(engine)
    expert = make(engine, "a.admin", world.org("a").id)
    sign_in(client, "a.mediator")
    assert post(client, "/experts", form(world.org("a").id)).status_code == 403
    assert post(client, f"/experts/{expert.id}/deactivate", {"version": "1"}).status_code == 403
    sign_in(client, "a1.mediator")  # sees the county's expert, but may not change it
    assert client.get(f"/experts/{expert.id}/edit").status_code == 403
    sign_in(client, "a.director")
    bad = post(client, "/experts", form(world.org("a").id, name="", field="玄学", phone="12345", employer="保留单位"))
    assert bad.status_code == 422
    soup = BeautifulSoup(bad.text, "html.parser")
    errors = {p["id"]: p.get_text() for p in soup.select(".field__error")}
    assert errors == {
        "f-name-error": "请填写专家姓名。",
        "f-field-error": "请选择专业领域。",
        "f-phone-error": "请填写 11 位手机号码或带区号的固定电话。",
    }
    assert soup.select_one("#f-employer")["value"] == "保留单位"


def test_deactivation_hides_the_expert_from_choices_and_stale_edits_conflict(client, engine) -> None:
    world = build_world(engine)
    expert = make(engine, "a.admin", world.org("a").id)
    sign_in(client, "a.director")
    assert (
        post(client, f"/experts/{expert.id}/edit", form(expert.org_id, title="主任律师", version="1")).status_code
        == 303
    )
    stale = post(client, f"/experts/{expert.id}/edit", form(expert.org_id, title="合伙人", version="1"))
    assert (
        stale.status_code == 409
        and "主任律师" not in BeautifulSoup(stale.text, "html.parser").select_one("#f-title")["value"]
    )
    assert post(client, f"/experts/{expert.id}/deactivate", {"version": "2"}).status_code == 303
    with Session(engine) as db:
        assert service.choices(db, principal(db, "a.clerk")) == []
        actions = [
            e.action
            for e in db.exec(
                select(AuditEntry).where(AuditEntry.object_type == "expert").order_by(AuditEntry.seq)
            ).all()
        ]
        assert actions == ["expert.create", "expert.update", "expert.deactivate"]
    assert names(client) == [] and names(client, "?inactive=true") == ["周律师"]
