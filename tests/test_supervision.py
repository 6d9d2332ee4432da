"""Supervision (督导关系), on SQLite and PostgreSQL: a 督导 reads the supervised subtrees everywhere, read-only and
masked; administrators set and end the relation; it follows organisations when the tree changes."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from factories import SUPERVISION_ACCOUNT, add_supervising_body, build_world, csrf, sign_in
from matrix_cases import VALID_ID, insert_case
from sqlmodel import Session, select

from portal.audit.models import AuditEntry
from portal.cases.models import Party
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.orgs import service as orgs
from portal.orgs import supervision
from portal.orgs.models import Organisation, Supervision
from portal.people.models import Person
from portal.scope import load_principal
from portal.searching.indexer import Indexer


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - the search test drives the indexer itself
    settings.indexer_in_server = False
    return settings


@pytest.fixture
def world(engine):  # noqa: ANN001, ANN201
    w = build_world(engine)
    add_supervising_body(engine, w)  # 甲县司法局 (under the city) supervises county A
    return w


def principal(engine, username: str):  # noqa: ANN001, ANN201
    with Session(engine) as db:
        person = db.exec(select(Person).where(Person.username == username)).one()
        found = load_principal(db, person)
        db.expunge_all()  # the grants' organisations stay readable after the session closes
        return found


def test_a_supervisor_reads_the_supervised_subtree_and_nothing_else(client, engine, world) -> None:
    with Session(engine) as db:
        inside, outside = insert_case(db, world, "a1a"), insert_case(db, world, "b1")
        own_only = insert_case(db, world, "a_med")
    sign_in(client, SUPERVISION_ACCOUNT)
    listed = BeautifulSoup(client.get("/cases").text, "html.parser")
    shown = {a["href"] for a in listed.select("#cases td a")}
    assert f"/cases/{inside.id}" in shown and f"/cases/{own_only.id}" in shown and f"/cases/{outside.id}" not in shown
    page = client.get(f"/cases/{inside.id}")
    assert page.status_code == 200 and VALID_ID not in page.text  # masked
    assert client.get(f"/cases/{outside.id}").status_code == 404
    # every write is refused in scope (and the outside stays invisible)
    edit = client.post(f"/cases/{inside.id}/edit", data={"title": "改", "_csrf_token": csrf(client)})
    assert edit.status_code == 403
    assert client.post(f"/cases/{outside.id}/edit", data={"_csrf_token": csrf(client)}).status_code == 404
    workspace = BeautifulSoup(client.get("/workspace").text, "html.parser")
    assert "经甲县司法局" in workspace.select_one("[data-supervised-via]").text


def test_a_supervisor_may_reveal_a_party_and_the_look_is_audited(client, engine, world) -> None:
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
        party = db.exec(select(Party).where(Party.case_id == case.id, Party.id_number != "")).one()
    sign_in(client, SUPERVISION_ACCOUNT)
    page = client.get(f"/cases/{case.id}?reveal={party.id}")
    assert page.status_code == 200 and VALID_ID in page.text
    with Session(engine) as db:
        looks = db.exec(select(AuditEntry).where(AuditEntry.action == "case.view_personal_data")).all()
    assert [e.object_id for e in looks] == [str(case.id)]


def test_search_counts_the_supervised_subtrees(client, engine, settings, world) -> None:
    with Session(engine) as db:
        inside, outside = insert_case(db, world, "a1a"), insert_case(db, world, "b1")
    Indexer(settings, engine).ensure_index()
    Indexer(settings, engine).drain()
    sign_in(client, SUPERVISION_ACCOUNT)
    api = client.get("/api/search", params={"q": "宅基地"}).json()
    assert {i["id"] for i in api["items"]} == {inside.id} and api["total"] == 1
    assert sum(v["count"] for v in api["facets"]["org"]) == 1
    suggestions = client.get("/search/suggest", params={"q": "人调字"}, headers={"HX-Request": "true"}).text
    assert inside.number in suggestions and outside.number not in suggestions
    assert client.get(f"/cases/{inside.id}/similar").status_code == 200
    assert client.get(f"/cases/{outside.id}/similar").status_code == 404


def test_the_relation_follows_the_supervised_organisation_when_it_moves(client, engine, world) -> None:
    with Session(engine) as db:  # 甲县司法局 supervises 东镇 alone, which then moves from county A to county B
        pair = db.exec(select(Supervision).where(Supervision.org_id == world.org("a_sfj").id)).one()
        pair.supervised_id = world.org("a1").id
        db.add(pair)
        db.commit()
    admin = principal(engine, "city.admin")
    with Session(engine) as db:
        a1 = db.get(Organisation, world.org("a1").id)
        form = orgs.OrgForm.of(a1)
        form.parent_id = str(world.org("b").id)
        orgs.update_org(db, admin, a1.id, form)
        db.commit()
    with Session(engine) as db:
        moved, village = db.get(Organisation, world.org("a1").id), db.get(Organisation, world.org("a1a").id)
    assert moved.path.startswith(world.org("b").path)
    supervisor = principal(engine, SUPERVISION_ACCOUNT)
    assert moved.path in supervisor.roots() and supervisor.sees(village.path)
    sign_in(client, SUPERVISION_ACCOUNT)
    assert client.get(f"/orgs/{village.id}").status_code == 200
    assert client.get(f"/orgs/{world.org('a').id}").status_code == 404  # county A is no longer supervised


def test_administrators_set_and_end_the_relation_and_it_is_audited(engine, world) -> None:
    admin = principal(engine, "a.admin")
    with Session(engine) as db:
        with pytest.raises(Invalid):  # its own subordinate: its 督导 read it anyway
            supervision.add(db, admin, world.org("a1").id, str(world.org("a1a").id))
        with pytest.raises(NotFound):  # outside the administrator's view
            supervision.add(db, admin, world.org("a1").id, str(world.org("b1").id))
        target = supervision.add(db, admin, world.org("a1a_g").id, str(world.org("a_med").id))
        db.commit()
        assert target.id == world.org("a_med").id
    with Session(engine) as db, pytest.raises(Conflict):  # the second of two administrators adding the same pair
        supervision.add(db, admin, world.org("a1a_g").id, str(world.org("a_med").id))
    clerk = principal(engine, "a.clerk")
    with Session(engine) as db, pytest.raises(Forbidden):
        supervision.add(db, clerk, world.org("a1").id, str(world.org("a_med").id))
    with Session(engine) as db:
        pair = db.exec(select(Supervision).where(Supervision.org_id == world.org("a1a_g").id)).one()
        supervision.remove(db, admin, world.org("a1a_g").id, pair.id)
        db.commit()
    with Session(engine) as db, pytest.raises(NotFound):  # already gone
        supervision.remove(db, admin, world.org("a1a_g").id, pair.id)
    with Session(engine) as db:
        actions = [e.action for e in db.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("org.supervise") == 1 and actions.count("org.unsupervise") == 1


def test_a_new_relation_is_seen_at_the_supervisors_next_request(client, engine, world) -> None:
    with Session(engine) as db:
        case = insert_case(db, world, "b1")
    sign_in(client, SUPERVISION_ACCOUNT)
    assert client.get(f"/cases/{case.id}").status_code == 404
    with Session(engine) as db:
        admin = principal(engine, "city.admin")
        supervision.add(db, admin, world.org("a_sfj").id, str(world.org("b").id))
        db.commit()
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_the_organisation_page_and_the_tree_show_the_relation(client, engine, world) -> None:
    sign_in(client, "city.admin")
    page = BeautifulSoup(client.get(f"/orgs/{world.org('a_sfj').id}").text, "html.parser")
    assert "甲县矛调中心" in page.select_one("#supervised-list").text
    assert page.select_one("#supervision select[name=supervised_id]") is not None  # the administrator may add
    tree = BeautifulSoup(client.get("/orgs").text, "html.parser")
    assert "督导：甲县矛调中心" in tree.select_one("[data-supervises]").text
    below = BeautifulSoup(client.get(f"/orgs/{world.org('a1').id}").text, "html.parser")
    assert "甲县司法局" in below.select_one("#supervision").text  # who supervises it (through county A)
    added = client.post(
        f"/orgs/{world.org('a_sfj').id}/supervision",
        data={"supervised_id": str(world.org("b1").id), "_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    again = client.post(
        f"/orgs/{world.org('a_sfj').id}/supervision",
        data={"supervised_id": str(world.org("b1").id), "_csrf_token": csrf(client)},
        follow_redirects=True,
    )
    assert "已在督导" in again.text
