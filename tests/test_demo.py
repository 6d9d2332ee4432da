"""The demo county: shape, consistency of the tree, accounts and idempotency."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sqlmodel import Session, select

from portal.auth.passwords import verify_password
from portal.db import make_engine, migrate
from portal.demo import DEMO_PASSWORD, DemoReport, build_demo
from portal.orgs.models import Organisation, OrgKind, Tier
from portal.people.models import MediatorKind, Membership, Person, Role


@pytest.fixture
def empty_engine(tmp_path):
    url = "sqlite:///" + str(tmp_path / "t.db")
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def first_report(empty_engine) -> DemoReport:
    return build_demo(empty_engine, password=DEMO_PASSWORD)


@pytest.fixture
def demo_engine(empty_engine, first_report):
    """A fresh migrated SQLite database with the demo county built once."""
    return empty_engine


def _load(engine):
    with Session(engine) as s:
        return list(s.exec(select(Organisation))), list(s.exec(select(Person))), list(s.exec(select(Membership)))


def _counts(engine) -> tuple[int, int, int]:
    orgs, people, memberships = _load(engine)
    return len(orgs), len(people), len(memberships)


def test_tree_shape(demo_engine):
    orgs, _, _ = _load(demo_engine)
    by_id = {o.id: o for o in orgs}
    children = defaultdict(list)
    for o in orgs:
        children[o.parent_id].append(o)

    [city] = children[None]
    assert (city.tier, city.kind) == (Tier.CITY, OrgKind.CENTRE)
    [county] = children[city.id]
    assert (county.tier, county.kind) == (Tier.COUNTY, OrgKind.CENTRE)

    beside = Counter(o.kind for o in children[county.id] if o.tier is Tier.COUNTY)
    assert beside[OrgKind.JUSTICE_BUREAU] == 1
    assert beside[OrgKind.PETITION] == 1
    assert beside[OrgKind.COURT] == 1
    assert beside[OrgKind.STUDIO] >= 1
    professional = {o.name for o in children[county.id] if o.kind is OrgKind.PROFESSIONAL}
    for word in ("医疗纠纷", "道路交通事故", "劳动争议"):
        assert any(word in name for name in professional)

    townships = [o for o in children[county.id] if o.tier is Tier.TOWNSHIP]
    assert len(townships) >= 4
    for township in townships:
        assert township.kind is OrgKind.COMMITTEE
        kinds = Counter(c.kind for c in children[township.id])
        assert kinds[OrgKind.JUSTICE_OFFICE] == 1 and kinds[OrgKind.POLICE] == 1
        assert all(c.tier is Tier.TOWNSHIP for c in children[township.id] if c.kind is not OrgKind.COMMITTEE)
        villages = [c for c in children[township.id] if c.tier is Tier.VILLAGE]
        assert len(villages) == 3

    villages = [o for o in orgs if o.tier is Tier.VILLAGE]
    assert len(villages) >= 12
    for village in villages:
        assert village.kind is OrgKind.COMMITTEE
        groups = children[village.id]
        assert 1 <= len(groups) <= 3
        assert all(g.tier is Tier.GROUP and g.kind is OrgKind.GRID for g in groups)

    for o in orgs:
        assert o.name and 1 <= len(o.short_name) <= 3
        if o.tier is not Tier.GROUP and o.kind in (OrgKind.CENTRE, OrgKind.COMMITTEE):
            assert o.division_code and len(o.division_code) == 12 and o.division_code.isdigit()
            if o.parent_id is not None and by_id[o.parent_id].division_code:
                parent_code = by_id[o.parent_id].division_code.rstrip("0")
                assert o.division_code.startswith(parent_code)
    # case-number prefixes are unique across the tier bodies
    prefixes = [o.short_name for o in orgs]
    assert len(prefixes) == len(set(prefixes))


def test_paths_and_depths_follow_parents(demo_engine):
    orgs, _, _ = _load(demo_engine)
    by_id = {o.id: o for o in orgs}
    for o in orgs:
        if o.parent_id is None:
            assert (o.path, o.depth) == (f"/{o.id}/", 0)
        else:
            parent = by_id[o.parent_id]
            assert o.path == f"{parent.path}{o.id}/"
            assert o.depth == parent.depth + 1
        assert o.ancestor_ids == [int(p) for p in o.path.strip("/").split("/")[:-1]]


def test_people_and_roles(demo_engine, first_report):
    orgs, people, memberships = _load(demo_engine)
    by_id = {o.id: o for o in orgs}
    assert 35 <= len(people) <= 45
    assert {m.role for m in memberships} == set(Role)
    assert all(p.username.isascii() and p.phone and len(p.phone) == 11 and p.phone.startswith("1") for p in people)

    def where(role: Role) -> set[tuple[Tier, OrgKind]]:
        return {(by_id[m.org_id].tier, by_id[m.org_id].kind) for m in memberships if m.role is role}

    assert {(Tier.CITY, OrgKind.CENTRE), (Tier.COUNTY, OrgKind.CENTRE)} <= where(Role.ADMIN)
    assert {(Tier.COUNTY, OrgKind.JUSTICE_BUREAU), (Tier.TOWNSHIP, OrgKind.JUSTICE_OFFICE)} <= where(Role.SUPERVISOR)
    assert {(Tier.COUNTY, OrgKind.CENTRE), (Tier.TOWNSHIP, OrgKind.COMMITTEE)} <= where(Role.CLERK)
    assert {(Tier.COUNTY, OrgKind.CENTRE), (Tier.TOWNSHIP, OrgKind.COMMITTEE)} <= where(Role.ARCHIVIST)
    assert {Tier.COUNTY, Tier.TOWNSHIP, Tier.VILLAGE} <= {t for t, _ in where(Role.DIRECTOR)}
    mediator_at = where(Role.MEDIATOR)
    assert {Tier.COUNTY, Tier.TOWNSHIP, Tier.VILLAGE, Tier.GROUP} <= {t for t, _ in mediator_at}
    assert {OrgKind.PROFESSIONAL, OrgKind.STUDIO, OrgKind.PETITION, OrgKind.COURT} <= {k for _, k in mediator_at}
    # every township committee has a director; the petition and court centres have staff
    townships = {o.id for o in orgs if o.tier is Tier.TOWNSHIP and o.kind is OrgKind.COMMITTEE}
    assert townships == {m.org_id for m in memberships if m.role is Role.DIRECTOR and m.org_id in townships}
    staffed = {by_id[m.org_id].kind for m in memberships}
    assert {OrgKind.PETITION, OrgKind.COURT, OrgKind.POLICE} <= staffed

    for m in memberships:
        if m.role is Role.MEDIATOR:
            assert m.mediator_kind in (MediatorKind.FULL_TIME, MediatorKind.PART_TIME) and m.specialities
        else:
            assert m.mediator_kind is None

    orgs_of = defaultdict(set)
    for m in memberships:
        orgs_of[m.person_id].add(m.org_id)
    assert any(len(ids) >= 2 for ids in orgs_of.values())

    assert len(first_report.accounts) == len(people)
    assert {a.username for a in first_report.accounts} == {p.username for p in people}
    assert all(a.name and a.org_name and a.role_labels for a in first_report.accounts)


def test_password_hashed_once_and_verifies(demo_engine):
    _, people, _ = _load(demo_engine)
    hashes = {p.password_hash for p in people}
    assert len(hashes) == 1
    [h] = hashes
    assert verify_password(h, DEMO_PASSWORD)
    assert not verify_password(h, "wrong-password")


def test_second_run_changes_nothing(demo_engine, first_report):
    assert first_report.orgs_existing == first_report.people_existing == 0
    before = _counts(demo_engine)
    assert before == (first_report.orgs_created, first_report.people_created, first_report.memberships_created)

    again = build_demo(demo_engine, password=DEMO_PASSWORD)
    assert (again.orgs_created, again.people_created, again.memberships_created, again.passwords_set) == (0, 0, 0, 0)
    assert (again.orgs_existing, again.people_existing) == (first_report.orgs_created, first_report.people_created)
    assert again.accounts == first_report.accounts
    assert _counts(demo_engine) == before


def test_rerun_keeps_changed_passwords_and_fills_missing_ones(demo_engine):
    with Session(demo_engine) as s:
        changed = s.exec(select(Person).where(Person.username == "qx.admin")).one()
        changed.password_hash = "changed-by-user"
        missing = s.exec(select(Person).where(Person.username == "cg.clerk")).one()
        missing.password_hash = None
        s.add_all([changed, missing])
        s.commit()

    report = build_demo(demo_engine, password="Another@Pass1")
    assert report.passwords_set == 1 and report.people_created == 0

    with Session(demo_engine) as s:
        assert s.exec(select(Person.password_hash).where(Person.username == "qx.admin")).one() == "changed-by-user"
        filled = s.exec(select(Person.password_hash).where(Person.username == "cg.clerk")).one()
        assert verify_password(filled, "Another@Pass1")


def test_rerun_restores_a_missing_membership(demo_engine):
    with Session(demo_engine) as s:
        m = s.exec(select(Membership).where(Membership.role == Role.ARCHIVIST)).first()
        s.delete(m)
        s.commit()
    before = _counts(demo_engine)
    report = build_demo(demo_engine, password=DEMO_PASSWORD)
    assert (report.orgs_created, report.people_created, report.memberships_created) == (0, 0, 1)
    assert _counts(demo_engine) == (before[0], before[1], before[2] + 1)
