"""The permission matrix: every role × every route × an in-scope and an out-of-scope object.

A new route must join ROUTES below, or `test_every_route_is_in_the_matrix` fails.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from factories import (
    ROLE_ACCOUNTS,
    SUPERVISION_ACCOUNT,
    World,
    add_supervising_body,
    build_world,
    csrf,
    sign_in,
)
from sqlmodel import Session, select

from portal.db import transaction
from portal.orgs.models import Organisation
from portal.people.models import Membership, Person, Role

ANY, ADMIN, AUDIT, CREATE = "any", "admin", "audit", "create"
CONTEXT: dict = {}  # what the running matrix test shares with the route callables
PUBLIC = {"login_form", "login", "healthz", "static", "home"}


@dataclass
class Route:
    name: str
    method: str
    obj: str | None  # "org" | "person" | "membership" | "case" | … | None
    access: str  # any | admin | audit | create, or a tuple of the roles allowed
    url: Callable[..., str] | None  # (world, side) or (db, world, side)
    data: Callable[[Session, World, str], dict] | None = None
    ok: int = 200
    expect: Callable[[Role, str], int] | None = None  # a route's own rule, where the generic one does not fit
    anonymous: int = 303  # what a signed-out request gets: the sign-in redirect, or 401 from the JSON API
    # The object records the tree as it stood when it was made (a month's 考核 scores name the bodies assessed then):
    # the after-a-move pass makes it after the move, as the answers it must give are about the tree of today.
    snapshot: bool = False


def _org_key(side: str) -> str:
    return "a1a_g" if side == "in" else "b1"


def _person_key(side: str) -> str:
    return "a1.mediator" if side == "in" else "b1.mediator"


def org_id(w: World, side: str) -> int:
    return w.org(_org_key(side)).id


def person_id(w: World, side: str) -> int:
    return w.person(_person_key(side)).id


def org_version(db: Session, w: World, side: str) -> dict:
    return {"version": str(db.get(Organisation, org_id(w, side)).version)}


def person_version(db: Session, w: World, side: str) -> dict:
    return {"version": str(db.get(Person, person_id(w, side)).version)}


def org_form(db: Session, w: World, side: str) -> dict:
    org = db.get(Organisation, org_id(w, side))
    return {
        "name": org.name + "（改）",
        "short_name": org.short_name,
        "tier": org.tier.value,
        "kind": org.kind.value,
        "parent_id": str(org.parent_id),
        "sort_order": "1",
        "version": str(org.version),
        "division_code": "",
    }


def new_org_form(db: Session, w: World, side: str) -> dict:
    parent = w.org("a1a" if side == "in" else "b1")
    return {
        "name": f"新网格{side}",
        "short_name": "新",
        "tier": "group",
        "kind": "grid",
        "parent_id": str(parent.id),
        "sort_order": "0",
    }


def new_person_form(db: Session, w: World, side: str) -> dict:
    org = w.org("a1" if side == "in" else "b1")
    return {
        "username": f"new.{side}",
        "name": "新人",
        "phone": "13511112222",
        "org_id": str(org.id),
        "role": "clerk",
        "password": "Brand-new-pass1",
    }


def person_form(db: Session, w: World, side: str) -> dict:
    person = db.get(Person, person_id(w, side))
    return {
        "username": person.username,
        "name": person.name + "改",
        "phone": person.phone,
        "version": str(person.version),
    }


def membership_id(db: Session, w: World, side: str) -> int:
    return db.exec(
        select(Membership.id).where(Membership.person_id == person_id(w, side)).order_by(Membership.id.desc())
    ).first()


ROUTES = [
    Route("workspace", "GET", None, ANY, lambda w, s: "/workspace"),
    Route("account", "GET", None, ANY, lambda w, s: "/account"),
    Route(
        "change_password",
        "POST",
        None,
        ANY,
        lambda w, s: "/account/password",
        lambda db, w, s: {"current": "wrong", "new": "x", "repeat": "y"},
        ok=422,
    ),
    Route("logout", "POST", None, ANY, lambda w, s: "/logout", lambda db, w, s: {}, ok=303),
    Route("list_orgs", "GET", None, ANY, lambda w, s: "/orgs"),
    Route("show_org", "GET", "org", ANY, lambda w, s: f"/orgs/{org_id(w, s)}"),
    Route("org_children", "GET", "org", ANY, lambda w, s: f"/orgs/{org_id(w, s)}/children"),
    Route("new_org_form", "GET", "org", ADMIN, lambda w, s: f"/orgs/new?parent={org_id(w, s)}"),
    Route("create_org", "POST", "org", CREATE, lambda w, s: "/orgs", new_org_form, ok=303),
    Route("edit_org_form", "GET", "org", ADMIN, lambda w, s: f"/orgs/{org_id(w, s)}/edit"),
    Route("update_org", "POST", "org", ADMIN, lambda w, s: f"/orgs/{org_id(w, s)}/edit", org_form, ok=303),
    Route("deactivate_org", "POST", "org", ADMIN, lambda w, s: f"/orgs/{org_id(w, s)}/deactivate", org_version, ok=303),
    Route("activate_org", "POST", "org", ADMIN, lambda w, s: f"/orgs/{org_id(w, s)}/activate", org_version, ok=303),
    Route("list_people", "GET", "org", ANY, lambda w, s: f"/people?org={org_id(w, s)}"),
    Route("show_person", "GET", "person", ANY, lambda w, s: f"/people/{person_id(w, s)}"),
    Route("show_person", "GET", "person", AUDIT, lambda w, s: f"/people/{person_id(w, s)}?reveal=true"),
    Route("new_person_form", "GET", "org", CREATE, lambda w, s: f"/people/new?org={org_id(w, s)}"),
    Route("create_person", "POST", "org", CREATE, lambda w, s: "/people", new_person_form, ok=303),
    Route("edit_person_form", "GET", "person", ADMIN, lambda w, s: f"/people/{person_id(w, s)}/edit"),
    Route(
        "update_person", "POST", "person", ADMIN, lambda w, s: f"/people/{person_id(w, s)}/edit", person_form, ok=303
    ),
    Route(
        "add_membership",
        "POST",
        "person",
        ADMIN,
        lambda w, s: f"/people/{person_id(w, s)}/memberships",
        lambda db, w, s: {"org_id": str(w.org("a1a").id), "role": "archivist"},
        ok=303,
    ),
    Route("remove_membership", "POST", "membership", ADMIN, None, lambda db, w, s: {}, ok=303),  # url built from the db
    Route(
        "deactivate_person",
        "POST",
        "person",
        ADMIN,
        lambda w, s: f"/people/{person_id(w, s)}/deactivate",
        person_version,
        ok=303,
    ),
    Route(
        "activate_person",
        "POST",
        "person",
        ADMIN,
        lambda w, s: f"/people/{person_id(w, s)}/activate",
        person_version,
        ok=303,
    ),
    Route(
        "reset_password",
        "POST",
        "person",
        ADMIN,
        lambda w, s: f"/people/{person_id(w, s)}/password",
        lambda db, w, s: {"password": "Reset-pass-2026"},
        ok=303,
    ),
    Route("roster", "GET", "org", ANY, lambda w, s: f"/roster?org={org_id(w, s)}"),
    Route("roster_csv", "GET", "org", ANY, lambda w, s: f"/roster/export.csv?org={org_id(w, s)}"),
    Route("list_audit", "GET", "org", AUDIT, lambda w, s: f"/audit?org={org_id(w, s)}"),
]


def expected(route: Route, role: Role | None, side: str) -> int:
    """The answer a role should get; out-of-scope objects are 404 for everyone who gets that far."""
    if role is None:
        return route.anonymous  # to the sign-in page (303), or 401 from the JSON API
    if route.name == "logout":
        return 303
    if route.expect is not None:
        return route.expect(role, side)
    if isinstance(route.access, tuple):  # only these roles may; others are refused, outsiders see nothing
        if side == "out" and route.obj is not None:
            return 404
        return route.ok if role in route.access else 403
    allowed = route.access == ANY or role is Role.ADMIN or (route.access == AUDIT and role is Role.SUPERVISOR)
    if route.access == CREATE and not allowed:
        return 403  # refused before any object is looked at
    if route.name == "list_audit" and not allowed:
        return 403
    if side == "out" and route.obj is not None:
        return 404
    return route.ok if allowed else 403


def all_routes() -> list[Route]:
    """The matrix: the foundation's routes here, each later area's from tests/matrix_*.py (a ROUTES list)."""
    routes = list(ROUTES)
    for name in sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("matrix_")
    ):
        routes += importlib.import_module(name).ROUTES
    return routes


def test_every_route_is_in_the_matrix(app) -> None:
    names = {
        h.name
        for route in app.routes
        for h in getattr(route, "route_handlers", [])
        if h.name and not h.name.startswith("static")
    }
    assert names - PUBLIC == {r.name for r in all_routes()}


def _url(route: Route, db: Session, w: World, side: str) -> str:
    if route.url is None:
        return f"/people/{person_id(w, side)}/memberships/{membership_id(db, w, side)}/delete"
    if getattr(route.url, "__code__", None) is not None and route.url.__code__.co_argcount == 3:
        return route.url(db, w, side)  # routes whose URL needs the database (an id created by the test)
    return route.url(w, side)


# The roles at county A, and a 督导 who reads county A only through supervision (甲县司法局 → county A): the same
# answers as county A's own 督导 everywhere — what is supervised is read, nothing is written, the rest is 404.
ACCOUNTS = {**ROLE_ACCOUNTS, SUPERVISION_ACCOUNT: Role.SUPERVISOR}


def _put_back(engine, world: World) -> None:  # noqa: ANN001
    """After a move: every route's objects made in the misplaced world, then the two townships moved home."""
    from portal.orgs import service as orgs
    from portal.scope import load_principal

    for route in all_routes():
        if route.snapshot:
            continue
        for side in ("out", "in"):
            with Session(engine) as db:
                _url(route, db, world, side)
                if route.data:
                    route.data(db, world, side)
    with transaction(engine) as db:
        admin = load_principal(db, db.get(Person, world.person("city.admin").id))
        for key, parent in (("a1", "a"), ("b1", "b")):
            form = orgs.OrgForm.of(db.get(Organisation, world.org(key).id))
            form.parent_id = str(world.org(parent).id)
            orgs.update_org(db, admin, world.org(key).id, form)


@pytest.mark.parametrize("moved", [False, True], ids=["", "after_a_move"])
@pytest.mark.parametrize("username", [None, *ACCOUNTS])
def test_role_gets_the_right_answer_on_every_route(client, engine, settings, username: str | None, moved: bool) -> None:
    """With `moved`, everything is made while the townships sit under the wrong counties and then moved home: the
    answers must be the same, as every stored path follows a move (portal.orgs.moves)."""
    CONTEXT["settings"] = settings  # for routes whose objects live on disk (uploaded files)
    CONTEXT["username"] = username  # for routes whose answer tells a role held from one read through supervision
    world = build_world(engine, misplaced=moved)
    if username == SUPERVISION_ACCOUNT:
        add_supervising_body(engine, world)
    if moved:
        _put_back(engine, world)
    role = ACCOUNTS.get(username) if username else None
    if username:
        assert sign_in(client, username).status_code == 303
    failures = []
    routes = all_routes()
    ordered = [r for r in routes if r.method == "GET"] + [
        r for r in routes if r.method == "POST" and r.name != "logout"
    ]
    for side in ("out", "in"):
        for route in ordered:
            with Session(engine) as db:
                url = _url(route, db, world, side)
                data = route.data(db, world, side) if route.data else None
            if route.method == "GET":
                response = client.get(url, follow_redirects=False)
            else:
                response = client.post(url, data={**(data or {}), "_csrf_token": csrf(client)}, follow_redirects=False)
            want = expected(route, role, side)
            if response.status_code != want:
                failures.append(f"{route.method} {url} ({route.name}, {side}): got {response.status_code}, want {want}")
            if want == 404:
                assert world.org(_org_key("out")).name not in response.text
                assert world.person(_person_key("out")).name not in response.text
    assert not failures, "\n".join(failures)
