"""The weaker points decided (README, Sign-in and security): /healthz's details need a token; the ID-card material
follows the reveal rule; edit forms show phone numbers masked; the CSRF token is bound to the session."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from factories import build_world, csrf, sign_in
from litestar.testing import TestClient
from matrix_cases import insert_case
from sqlmodel import Session, select
from test_case_files import PDF

from portal.audit.models import AuditEntry
from portal.cases import files
from portal.cases.models import Case, CaseState
from portal.experts.models import Expert
from portal.people.models import Person
from portal.scope import load_principal
from portal.web.csrf_binding import COOKIE_NAME, bound_token


def soup(response) -> BeautifulSoup:  # noqa: ANN001
    return BeautifulSoup(response.text, "html.parser")


def test_healthz_tells_anyone_only_whether_the_portal_is_up(client, settings) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    settings.health_token = "s3cret-monitor"
    for wrong in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-monitor"}):
        assert client.get("/healthz", headers=wrong).json() == {"status": "ok"}
    details = client.get("/healthz", headers={"Authorization": "Bearer s3cret-monitor"}).json()
    assert details["status"] == "ok" and details["database"] is True and "queued" in details["search"]


def _materials(engine, settings, world):  # noqa: ANN001, ANN202
    """A case at 桃花村 with an ID-card copy and an evidence file, uploaded by the village's clerk."""
    with Session(engine) as db:
        case = insert_case(db, world, "a1a", state=CaseState.ACCEPTED)
    with Session(engine) as db:
        case = db.get(Case, case.id)
        clerk = load_principal(db, db.get(Person, world.person("a1.mediator").id))
        common = {"data": PDF, "root": settings.uploads_dir, "max_bytes": 1 << 20}
        id_copy = files.upload(db, clerk, case, filename="身份证.pdf", doc_type="当事人身份证明", **common)
        evidence = files.upload(db, clerk, case, filename="收据.pdf", doc_type="证据材料", **common)
        db.flush()
        found = case.id, id_copy.id, evidence.id
        db.commit()
    return found


@pytest.mark.parametrize(
    ("username", "may"),
    [("a.clerk", True), ("a.director", True), ("a.mediator", True), ("a.archivist", False), ("a.supervisor", False)],
)
def test_the_id_card_copy_is_downloaded_only_by_those_who_may_reveal_id_numbers(
    client, engine, settings, username: str, may: bool
) -> None:
    world = build_world(engine)
    case_id, id_copy, evidence = _materials(engine, settings, world)
    sign_in(client, username)
    page = soup(client.get(f"/cases/{case_id}"))
    links = {a["href"] for a in page.select("#files a[download]")}
    assert (f"/cases/{case_id}/files/{id_copy}" in links) is may
    assert f"/cases/{case_id}/files/{evidence}" in links  # any other material: whoever sees the case
    assert bool(page.select("#files [data-identity-hidden]")) is not may
    download = client.get(f"/cases/{case_id}/files/{id_copy}")
    assert download.status_code == (200 if may else 403)
    assert (download.content == PDF) is may
    with Session(engine) as db:
        downloads = db.exec(select(AuditEntry).where(AuditEntry.action == "case.download")).all()
    assert len(downloads) == (1 if may else 0)
    assert client.get(f"/cases/{case_id}/files/{evidence}").status_code == 200


def _expert(engine, world) -> Expert:  # noqa: ANN001
    with Session(engine) as db:
        org = world.org("a")
        expert = Expert(org_id=org.id, org_path=org.path, name="钱专家", field="法律", phone="13812345678")
        db.add(expert)
        db.commit()
        db.refresh(expert)
        return expert


def _form_data(response) -> dict:  # noqa: ANN001
    form = soup(response).select_one("form.form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]") if i.get("type") != "checkbox"}
    data.update({t["name"]: t.get_text() for t in form.select("textarea[name]")})
    for chosen in form.select("select[name]"):
        option = chosen.select_one("option[selected]")
        data[chosen["name"]] = option["value"] if option else ""
    return data


def test_an_experts_phone_is_masked_on_the_edit_form_and_kept_unless_retyped(client, engine) -> None:
    world = build_world(engine)
    expert = _expert(engine, world)
    sign_in(client, "a.director")
    form = client.get(f"/experts/{expert.id}/edit")
    assert "13812345678" not in form.text and soup(form).select_one("#f-phone")["value"] == "138****5678"
    data = {**_form_data(form), "employer": "某律师事务所", "_csrf_token": csrf(client)}
    assert client.post(f"/experts/{expert.id}/edit", data=data, follow_redirects=False).status_code == 303
    with Session(engine) as db:
        assert db.get(Expert, expert.id).phone == "13812345678"
    again = _form_data(client.get(f"/experts/{expert.id}/edit"))
    refused = client.post(f"/experts/{expert.id}/edit", data={**again, "name": "", "_csrf_token": csrf(client)})
    assert refused.status_code == 422 and "13812345678" not in refused.text  # a refused form does not reveal it either
    data = {**again, "phone": "13900001111", "_csrf_token": csrf(client)}
    assert client.post(f"/experts/{expert.id}/edit", data=data, follow_redirects=False).status_code == 303
    with Session(engine) as db:
        assert db.get(Expert, expert.id).phone == "13900001111"
        changes = [
            json.loads(e.changes)
            for e in db.exec(select(AuditEntry).where(AuditEntry.action == "expert.update")).all()
            if e.changes
        ]
    assert [c.get("phone") for c in changes] == [None, ["138****5678", "139****1111"]]


def test_a_persons_phone_is_masked_on_the_edit_form_and_kept_unless_retyped(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    person = world.person("a1.mediator")
    form = client.get(f"/people/{person.id}/edit")
    assert "13700001111" not in form.text and soup(form).select_one("#f-phone")["value"] == "137****1111"
    data = {**_form_data(form), "name": "东镇调解员甲", "_csrf_token": csrf(client)}
    assert client.post(f"/people/{person.id}/edit", data=data, follow_redirects=False).status_code == 303
    with Session(engine) as db:
        saved = db.get(Person, person.id)
        assert (saved.name, saved.phone) == ("东镇调解员甲", "13700001111")


def test_a_csrf_token_from_another_session_is_refused(app, client, engine) -> None:
    world = build_world(engine)
    with TestClient(app=app, base_url="http://testserver.local") as other:
        sign_in(other, "city.admin")
        theirs = other.cookies.get(COOKIE_NAME)
    sign_in(client, "a.admin")
    mine = client.cookies.get(COOKIE_NAME)
    assert mine != theirs
    org = world.org("a1a_g")
    with Session(engine) as db:
        version = str(db.get(type(org), org.id).version)
    client.cookies.delete(COOKIE_NAME)
    client.cookies.set(COOKIE_NAME, theirs, domain="testserver.local")
    refused = client.post(
        f"/orgs/{org.id}/deactivate", data={"version": version, "_csrf_token": theirs}, follow_redirects=False
    )
    assert refused.status_code == 400 and "页面已过期" in refused.text
    with Session(engine) as db:
        assert db.get(type(org), org.id).active
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "security.csrf_rejected")).first() is not None
    # Reading a page puts the session's own token back, in the page and as the cookie; then the change goes through.
    page = client.get("/workspace")
    assert client.cookies.get(COOKIE_NAME) == mine and mine in page.text and theirs not in page.text
    done = client.post(
        f"/orgs/{org.id}/deactivate", data={"version": version, "_csrf_token": mine}, follow_redirects=False
    )
    assert done.status_code == 303


def test_the_session_bound_token_is_what_litestar_reads_as_one_of_its_own(settings) -> None:
    token = bound_token(settings.effective_secret_key(), "a-session-token")
    assert len(token) > 64 and token != bound_token(settings.effective_secret_key(), "another-session")
    assert token == bound_token(settings.effective_secret_key(), "a-session-token")
