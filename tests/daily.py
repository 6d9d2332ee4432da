"""The test county with the bodies of the daily path: a petition bureau and a police station with their own 负责人,
a township with its director and clerk, a village with its director, a grid and a 司法所 beside the township."""

from __future__ import annotations

from datetime import date, timedelta

from factories import World, add_org, add_person, build_world
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal import clock
from portal.cases import parties, service
from portal.cases.models import Case
from portal.db import transaction
from portal.orgs.models import OrgKind, Tier
from portal.people.models import Person, Role
from portal.scope import Principal, load_principal


def build_daily_world(engine: Engine) -> World:
    world = build_world(engine)
    with transaction(engine) as db:
        o, p = world.orgs, world.people
        o["xf"] = add_org(db, "甲县信访局访调对接中心", o["a"], Tier.COUNTY, OrgKind.PETITION, "甲访")
        o["pcs"] = add_org(db, "东镇派出所", o["a1"], Tier.TOWNSHIP, OrgKind.POLICE, "东警")
        o["pcs2"] = add_org(db, "东镇北街派出所", o["a1"], Tier.TOWNSHIP, OrgKind.POLICE, "北警")
        o["sfs"] = add_org(db, "东镇司法所", o["a1"], Tier.TOWNSHIP, OrgKind.JUSTICE_OFFICE, "东所")
        p["xf.head"] = add_person(db, "xf.head", "信访局负责人", (o["xf"], Role.HEAD))
        p["xf.clerk"] = add_person(db, "xf.clerk", "信访局受理员", (o["xf"], Role.CLERK))
        p["pcs.head"] = add_person(db, "pcs.head", "东镇所长", (o["pcs"], Role.HEAD))
        p["pcs.police"] = add_person(db, "pcs.police", "东镇民警", (o["pcs"], Role.MEDIATOR))
        p["pcs2.police"] = add_person(db, "pcs2.police", "北街民警", (o["pcs2"], Role.MEDIATOR))
        p["a1.director"] = add_person(db, "a1.director", "东镇主任", (o["a1"], Role.DIRECTOR))
        p["a1.clerk"] = add_person(db, "a1.clerk", "东镇受理员", (o["a1"], Role.CLERK))
        p["a1a.director"] = add_person(db, "a1a.director", "桃花村主任", (o["a1a"], Role.DIRECTOR))
        p["sfs.supervisor"] = add_person(db, "sfs.supervisor", "东镇司法所督导", (o["sfs"], Role.SUPERVISOR))
    return world


def who(db: Session, world: World, key: str) -> Principal:
    return load_principal(db, db.get(Person, world.person(key).id))


def register(
    db: Session, world: World, org: str, by: str, *, received_on: date | None = None, id_number: str = ""
) -> Case:
    """A case registered at `org` through the intake service."""
    form = service.CaseForm(
        title="张某与李某邻里纠纷",
        channel="来访",
        dispute_type="02",
        summary="两户因排水沟堵塞争吵。",
        org_id=str(world.org(org).id),
        received_on=(received_on or clock.today()).isoformat(),
    )
    applicant = parties.PartyForm(role="申请人", name="张某", phone="13912345678")
    if id_number:
        applicant.id_type, applicant.id_number = "resident_id", id_number
    return service.intake(
        db, who(db, world, by), form, parties=[applicant, parties.PartyForm(role="被申请人", name="李某")]
    )


def days_ago(n: int) -> date:
    return clock.today() - timedelta(days=n)
