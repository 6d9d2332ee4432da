"""People: masked numbers, audited reveals, account management within scope, the roster."""

from __future__ import annotations

import csv
import io

from bs4 import BeautifulSoup
from factories import build_world, csrf, sign_in
from sqlmodel import Session, select

from portal.audit.models import AuditEntry
from portal.auth.models import WebSession
from portal.people.models import Membership, Person, Role
from portal.people.service import mask_phone


def post(client, url: str, data: dict):  # noqa: ANN001, ANN201
    return client.post(url, data={**data, "_csrf_token": csrf(client)}, follow_redirects=False)


def test_phone_numbers_are_masked() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0632-1234567") == "063****4567"
    assert mask_phone("") == "" and mask_phone(None) == ""


def test_the_people_list_is_scoped_filtered_and_masked(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.mediator")
    text = client.get("/people").text
    assert "东镇调解员" in text and "西镇调解员" not in text and "孙市管" not in text
    assert "13700001111" not in text and "137****1111" in text
    only_clerks = (
        BeautifulSoup(client.get("/people?role=clerk").text, "html.parser").select_one("#people-table").get_text()
    )
    assert "甲受理员" in only_clerks and "甲调解员" not in only_clerks
    in_village = client.get(f"/people?org={world.org('a1a').id}").text
    assert "桃花网格员" in in_village and "甲管理员" not in in_village
    assert client.get(f"/people?org={world.org('b').id}").status_code == 404


def test_revealing_a_phone_number_needs_the_role_and_is_audited(client, engine) -> None:
    world = build_world(engine)
    target = world.person("a1.mediator")
    sign_in(client, "a.clerk")
    assert client.get(f"/people/{target.id}?reveal=true").status_code == 403
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a.supervisor")
    page = client.get(f"/people/{target.id}?reveal=true")
    assert page.status_code == 200 and "13700001111" in page.text
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "person.view_personal_data")).one()
        assert entry.actor_name == "甲督导" and entry.object_id == str(target.id)


def test_a_person_with_roles_beyond_the_admins_subtree_is_managed_from_above(client, engine) -> None:
    world = build_world(engine)
    both = world.person("both")
    sign_in(client, "a.admin")
    page = client.get(f"/people/{both.id}").text
    assert "甲县东镇人民调解委员会" in page and "乙县西镇人民调解委员会" not in page and "另有 1 个角色" in page
    assert client.get(f"/people/{both.id}/edit").status_code == 403
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "city.admin")
    assert client.get(f"/people/{both.id}/edit").status_code == 200


def test_creating_a_person_validates_and_keeps_the_input_but_never_the_password(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    data = {
        "username": "a.clerk",
        "name": "",
        "phone": "12345",
        "org_id": str(world.org("a1").id),
        "role": "mediator",
        "mediator_kind": "",
        "password": "short",
    }
    response = post(client, "/people", data)
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    errors = {p["id"]: p.get_text() for p in soup.select(".field__error")}
    assert errors["f-username-error"] == "该登录名已被使用。" and errors["f-name-error"] == "请填写姓名。"
    assert (
        "手机号码" in errors["f-phone-error"]
        and "专职或兼职" in errors["f-mediator_kind-error"]
        and "10 个字符" in errors["f-password-error"]
    )
    assert soup.select_one("#f-phone")["value"] == "12345" and not soup.select_one("#f-password").get("value")
    good = {
        **data,
        "username": "a1.new",
        "name": "新调解员",
        "phone": "13511112222",
        "mediator_kind": "part_time",
        "password": "Good-enough-1",
    }
    created = post(client, "/people", good)
    assert created.status_code == 303
    with Session(engine) as db:
        person = db.exec(select(Person).where(Person.username == "a1.new")).one()
        membership = db.exec(select(Membership).where(Membership.person_id == person.id)).one()
        assert membership.role is Role.MEDIATOR and membership.org_id == world.org("a1").id
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "person.create")).one()
        assert "13511112222" not in entry.changes and "135****2222" in entry.changes
    client.post("/logout", data={"_csrf_token": csrf(client)})
    assert sign_in(client, "a1.new", "Good-enough-1").status_code == 303


def test_roles_are_granted_and_revoked_within_the_admins_subtree(client, engine) -> None:
    world = build_world(engine)
    person = world.person("a1a.grid")
    sign_in(client, "a.admin")
    assert (
        post(
            client, f"/people/{person.id}/memberships", {"org_id": str(world.org("a1a").id), "role": "director"}
        ).status_code
        == 303
    )
    duplicate = post(
        client, f"/people/{person.id}/memberships", {"org_id": str(world.org("a1a").id), "role": "director"}
    )
    assert duplicate.status_code == 422 and "已担任这一角色" in duplicate.text
    assert (
        post(
            client, f"/people/{person.id}/memberships", {"org_id": str(world.org("b1").id), "role": "clerk"}
        ).status_code
        == 404
    )
    with Session(engine) as db:
        grants = db.exec(select(Membership).where(Membership.person_id == person.id).order_by(Membership.id)).all()
    assert [g.role for g in grants] == [Role.MEDIATOR, Role.DIRECTOR]
    assert post(client, f"/people/{person.id}/memberships/{grants[1].id}/delete", {}).status_code == 303
    last = post(client, f"/people/{person.id}/memberships/{grants[0].id}/delete", {})
    assert last.status_code == 403 and "最后一个角色" in last.text


def test_admins_cannot_remove_their_own_admin_role_or_deactivate_themselves(client, engine) -> None:
    world = build_world(engine)
    me = world.person("a.admin")
    sign_in(client, "a.admin")
    with Session(engine) as db:
        own = db.exec(select(Membership).where(Membership.person_id == me.id)).one()
    post(client, f"/people/{me.id}/memberships", {"org_id": str(world.org("a1").id), "role": "clerk"})
    assert post(client, f"/people/{me.id}/memberships/{own.id}/delete", {}).status_code == 403
    assert post(client, f"/people/{me.id}/deactivate", {"version": "1"}).status_code == 403


def test_deactivating_a_person_ends_their_sessions(client, engine, app) -> None:
    from litestar.testing import TestClient

    world = build_world(engine)
    target = world.person("a1.mediator")
    with TestClient(app=app, base_url="http://testserver.local") as theirs:
        sign_in(theirs, "a1.mediator")
        sign_in(client, "a.admin")
        assert post(client, f"/people/{target.id}/deactivate", {"version": str(target.version)}).status_code == 303
        assert theirs.get("/workspace", follow_redirects=False).status_code == 303
    with Session(engine) as db:
        assert db.exec(select(WebSession).where(WebSession.person_id == target.id)).all() == []


def test_an_admin_resets_a_password(client, engine) -> None:
    world = build_world(engine)
    target = world.person("a1.mediator")
    sign_in(client, "a.admin")
    weak = post(client, f"/people/{target.id}/password", {"password": "123"})
    assert weak.status_code == 422 and "10 个字符" in weak.text
    assert post(client, f"/people/{target.id}/password", {"password": "Temporary-pass-9"}).status_code == 303
    client.post("/logout", data={"_csrf_token": csrf(client)})
    assert sign_in(client, "a1.mediator", "Temporary-pass-9").status_code == 303


def test_a_conflicting_person_edit_is_detected(client, engine) -> None:
    world = build_world(engine)
    target = world.person("a1.mediator")
    sign_in(client, "a.admin")
    base = {"username": target.username, "phone": target.phone, "version": str(target.version)}
    assert post(client, f"/people/{target.id}/edit", {**base, "name": "第一位"}).status_code == 303
    stale = post(client, f"/people/{target.id}/edit", {**base, "name": "第二位"})
    assert stale.status_code == 409 and "已被他人修改" in stale.text
    with Session(engine) as db:
        assert db.get(Person, target.id).name == "第一位"


def test_the_roster_lists_mediators_of_the_subtree_and_exports_masked_csv(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.clerk")
    whole = (
        BeautifulSoup(client.get(f"/roster?org={world.org('a1').id}").text, "html.parser")
        .select_one("#roster-table")
        .get_text()
    )
    assert "东镇调解员" in whole and "桃花网格员" in whole and "甲受理员" not in whole and "西镇调解员" not in whole
    only_here = (
        BeautifulSoup(client.get(f"/roster?org={world.org('a1').id}&subtree=false").text, "html.parser")
        .select_one("#roster-table")
        .get_text()
    )
    assert "东镇调解员" in only_here and "桃花网格员" not in only_here
    export = client.get(f"/roster/export.csv?org={world.org('a1').id}")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][0] == "姓名" and {r[0] for r in rows[1:]} == {"东镇调解员", "桃花网格员", "两县兼职"}
    assert "13700001111" not in export.text and "137****1111" in export.text
    assert client.get(f"/roster/export.csv?org={world.org('b1').id}").status_code == 404
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "export.roster")).one()
        assert "3 条" in entry.summary


def test_people_are_filtered_before_they_are_paginated(client, engine) -> None:
    from factories import add_person

    from portal.db import transaction

    world = build_world(engine)
    with transaction(engine) as db:
        for i in range(60):
            add_person(db, f"b.extra{i}", f"乙县{i:02d}号", (world.org("b1"), Role.CLERK))
        for i in range(55):
            add_person(db, f"a.extra{i}", f"甲县{i:02d}号", (world.org("a1a"), Role.CLERK))
    sign_in(client, "a.admin")
    first = client.get("/people?q=甲县").text
    assert "共 55 条" in first and "乙县" not in first and "下一页" in first
    second = client.get("/people?q=甲县&page=2").text
    assert "甲县54号" in second and "第 2 页" in second
