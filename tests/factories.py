"""A small county for tests: two counties side by side, so every rule has an in and an out."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from portal.auth.passwords import hash_password
from portal.db import transaction
from portal.orgs.models import Organisation, OrgKind, Tier
from portal.people.models import MediatorKind, Membership, Person, Role

PASSWORD = "Test-Passw0rd"
_HASH = hash_password(PASSWORD)


def add_org(
    db, name: str, parent: Organisation | None, tier: Tier, kind: OrgKind = OrgKind.COMMITTEE, short: str | None = None
) -> Organisation:  # noqa: ANN001
    org = Organisation(
        name=name,
        short_name=short or name[:2],
        tier=tier,
        kind=kind,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
    )
    db.add(org)
    db.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    db.add(org)
    db.flush()
    return org


def add_person(db, username: str, name: str, *grants: tuple[Organisation, Role], phone: str = "13800138000") -> Person:  # noqa: ANN001
    person = Person(username=username, name=name, phone=phone, password_hash=_HASH)
    db.add(person)
    db.flush()
    for org, role in grants:
        db.add(
            Membership(
                person_id=person.id,
                org_id=org.id,
                role=role,
                mediator_kind=MediatorKind.FULL_TIME if role is Role.MEDIATOR else None,
            )
        )
    db.flush()
    return person


@dataclass
class World:
    """city → county A (→ township A1 → village A1a → group; + a professional committee)
    and county B (→ township B1)."""

    orgs: dict[str, Organisation] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def org(self, key: str) -> Organisation:
        return self.orgs[key]

    def person(self, key: str) -> Person:
        return self.people[key]


# One account per role at county A; plus the city's admin and county B's admin.
ROLE_ACCOUNTS = {
    "a.admin": Role.ADMIN,
    "a.supervisor": Role.SUPERVISOR,
    "a.clerk": Role.CLERK,
    "a.mediator": Role.MEDIATOR,
    "a.director": Role.DIRECTOR,
    "a.archivist": Role.ARCHIVIST,
}


def build_world(engine: Engine, *, misplaced: bool = False) -> World:
    """The world; `misplaced` builds the two townships each under the other county (东镇 under 乙县, 西镇 under 甲县),
    for tests that then move them where they belong (tests/test_permissions.py's pass after a move)."""
    world = World()
    with transaction(engine) as db:
        o = world.orgs
        o["city"] = add_org(db, "云川市矛调中心", None, Tier.CITY, OrgKind.CENTRE, "云")
        o["a"] = add_org(db, "甲县矛调中心", o["city"], Tier.COUNTY, OrgKind.CENTRE, "甲")
        if misplaced:  # (otherwise created in the order that gives the ids other tests know)
            o["b"] = add_org(db, "乙县矛调中心", o["city"], Tier.COUNTY, OrgKind.CENTRE, "乙")
        o["a1"] = add_org(db, "甲县东镇人民调解委员会", o["b" if misplaced else "a"], Tier.TOWNSHIP, short="东")
        o["a1a"] = add_org(db, "东镇桃花村人民调解委员会", o["a1"], Tier.VILLAGE, short="桃")
        o["a1a_g"] = add_org(db, "桃花村第一网格", o["a1a"], Tier.GROUP, OrgKind.GRID, "桃一")
        o["a_med"] = add_org(db, "甲县医疗纠纷人民调解委员会", o["a"], Tier.COUNTY, OrgKind.PROFESSIONAL, "甲医")
        if not misplaced:
            o["b"] = add_org(db, "乙县矛调中心", o["city"], Tier.COUNTY, OrgKind.CENTRE, "乙")
        o["b1"] = add_org(db, "乙县西镇人民调解委员会", o["a" if misplaced else "b"], Tier.TOWNSHIP, short="西")
        p = world.people
        p["city.admin"] = add_person(db, "city.admin", "孙市管", (o["city"], Role.ADMIN))
        for username, role in ROLE_ACCOUNTS.items():
            p[username] = add_person(db, username, f"甲{role.label}", (o["a"], role), phone="13912345678")
        p["a1.mediator"] = add_person(
            db, "a1.mediator", "东镇调解员", (o["a1"], Role.MEDIATOR), (o["a1a"], Role.CLERK), phone="13700001111"
        )
        p["a1a.grid"] = add_person(db, "a1a.grid", "桃花网格员", (o["a1a_g"], Role.MEDIATOR))
        p["b.admin"] = add_person(db, "b.admin", "乙县管理员", (o["b"], Role.ADMIN))
        p["b1.mediator"] = add_person(db, "b1.mediator", "西镇调解员", (o["b1"], Role.MEDIATOR), phone="13600002222")
        # Holds roles on both sides: only the city's admin may manage the account.
        p["both"] = add_person(db, "both", "两县兼职", (o["a1"], Role.MEDIATOR), (o["b1"], Role.MEDIATOR))
    return world


def sign_in(client, username: str, password: str = PASSWORD):  # noqa: ANN001, ANN201
    """Sign in through the real form (CSRF cookie and field included)."""
    client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": client.cookies.get("portal_csrf")},
        follow_redirects=False,
    )


def csrf(client) -> str:  # noqa: ANN001
    if not client.cookies.get("portal_csrf"):
        client.get("/login")
    return client.cookies.get("portal_csrf")


SUPERVISION_ACCOUNT = "s.supervisor"


def add_supervising_body(engine: Engine, world: World) -> None:
    """甲县司法局 beside the tree (under the city), supervising county A: its 督导 `s.supervisor` reads county A
    through the supervision relation only (DOMAIN §8)."""
    from portal.orgs.models import Supervision

    with transaction(engine) as db:
        city = db.get(Organisation, world.org("city").id)
        bureau = world.orgs["a_sfj"] = add_org(db, "甲县司法局", city, Tier.COUNTY, OrgKind.JUSTICE_BUREAU, "甲司")
        world.people[SUPERVISION_ACCOUNT] = add_person(
            db, SUPERVISION_ACCOUNT, "甲司督导", (bureau, Role.SUPERVISOR), phone="13912340000"
        )
        db.add(Supervision(org_id=bureau.id, supervised_id=world.org("a").id))
