"""Demo data: a fictional county (云川市 → 清溪县) with its mediation bodies and ~40 accounts.

`build_demo` is idempotent: organisations are matched by (parent, name), people by username and
memberships by (person, organisation, role); nothing that already exists is changed, except that an
existing account without a password gets the demo password. The tables live in `portal.demo_data`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal import demo_data as data
from portal.audit import service as audit
from portal.auth.passwords import hash_password
from portal.db import transaction, utcnow
from portal.orgs.models import Organisation, OrgKind, Supervision, Tier
from portal.people.models import MediatorKind, Membership, Person, Role

DEMO_PASSWORD = "Tiaojie@2026"
_CN_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    org_name: str  # the home organisation (the first membership's)
    role_labels: list[str]  # e.g. ["督导", "调解员（兼职）@东门社区人民调解委员会"]


@dataclass
class DemoReport:
    orgs_created: int = 0
    orgs_existing: int = 0
    people_created: int = 0
    people_existing: int = 0
    memberships_created: int = 0
    memberships_existing: int = 0
    passwords_set: int = 0  # existing accounts that had no password
    accounts: list[DemoAccount] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines in Chinese for the command line."""
        lines = [
            f"机构：新建 {self.orgs_created}，已有 {self.orgs_existing}；"
            f"人员：新建 {self.people_created}，已有 {self.people_existing}；"
            f"角色：新建 {self.memberships_created}，已有 {self.memberships_existing}。"
        ]
        lines += [f"  {a.username:<16} {a.name:<4} {a.org_name}  {'、'.join(a.role_labels)}" for a in self.accounts]
        return "\n".join(lines)


@dataclass(frozen=True)
class OrgSpec:
    key: str
    parent_key: str | None
    name: str
    short_name: str
    tier: Tier
    kind: OrgKind
    division_code: str | None = None


def org_specs() -> list[OrgSpec]:
    """The demo tree, parents before children, expanded from the tables in `demo_data`."""
    city_key, city_name, city_short, city_code = data.CITY
    county_key, county_name, county_short, county_code = data.COUNTY
    specs = [
        OrgSpec(city_key, None, city_name, city_short, Tier.CITY, OrgKind.CENTRE, city_code),
        OrgSpec(county_key, city_key, county_name, county_short, Tier.COUNTY, OrgKind.CENTRE, county_code),
    ]
    specs += [OrgSpec(key, county_key, name, short, Tier.COUNTY, kind) for key, name, short, kind in data.COUNTY_BODIES]
    township_codes: dict[str, str] = {}
    for key, place, short, code in data.TOWNSHIPS:
        township_codes[key] = code
        division, committee = f"{data.COUNTY_CODE}{code}000", f"{place}人民调解委员会"
        specs += [
            OrgSpec(key, county_key, committee, short, Tier.TOWNSHIP, OrgKind.COMMITTEE, division),
            OrgSpec(f"{key}.sfs", key, f"{place}司法所", f"{short}所", Tier.TOWNSHIP, OrgKind.JUSTICE_OFFICE),
            OrgSpec(f"{key}.pcs", key, f"{short}派出所", f"{short}警", Tier.TOWNSHIP, OrgKind.POLICE),
        ]
    for township_key, key, place, short, code, groups in data.VILLAGES:
        division = f"{data.COUNTY_CODE}{township_codes[township_key]}{code}"
        committee = f"{place}人民调解委员会"
        specs.append(OrgSpec(key, township_key, committee, short, Tier.VILLAGE, OrgKind.COMMITTEE, division))
        unit = "网格" if place.endswith("社区") else "村民小组"
        specs += [
            OrgSpec(f"{key}.{n}", key, f"{place}第{_CN_DIGITS[n]}{unit}", f"{short}{n}", Tier.GROUP, OrgKind.GRID)
            for n in range(1, groups + 1)
        ]
    return specs


def build_demo(engine: Engine, *, password: str) -> DemoReport:
    """Create whatever part of the demo county is missing, in one transaction."""
    report = DemoReport()
    with transaction(engine) as session:
        orgs = _build_orgs(session, report)
        _build_people(session, report, orgs, password)
        _build_supervision(session, orgs)
        if report.orgs_created or report.people_created or report.memberships_created:
            root = next(iter(orgs.values()))
            audit.record(
                session,
                "demo.build",
                actor_name="portal demo",
                org=root,
                summary=(
                    f"生成演示数据：机构 {report.orgs_created} 个，人员 {report.people_created} 名，"
                    f"角色 {report.memberships_created} 个"
                ),
            )
    return report


def _build_orgs(session: Session, report: DemoReport) -> dict[str, Organisation]:
    existing = {(o.parent_id, o.name): o for o in session.exec(select(Organisation))}
    siblings: dict[str | None, int] = {}
    orgs: dict[str, Organisation] = {}
    for spec in org_specs():
        parent = orgs[spec.parent_key] if spec.parent_key else None
        siblings[spec.parent_key] = siblings.get(spec.parent_key, 0) + 1
        org = existing.get((parent.id if parent else None, spec.name))
        if org is not None:
            report.orgs_existing += 1
        else:
            org = Organisation(
                parent_id=parent.id if parent else None,
                name=spec.name,
                short_name=spec.short_name,
                number_prefix=data.NUMBER_FORMATS.get(spec.key, ("", ""))[0],
                number_word=data.NUMBER_FORMATS.get(spec.key, ("", "人调字"))[1],
                division_code=spec.division_code,
                tier=spec.tier,
                kind=spec.kind,
                sort_order=siblings[spec.parent_key] * 10,
            )
            session.add(org)
            session.flush()  # assigns the id the path needs
            org.path = f"{parent.path}{org.id}/" if parent else f"/{org.id}/"
            org.depth = parent.depth + 1 if parent else 0
            report.orgs_created += 1
        orgs[spec.key] = org
    session.flush()
    return orgs


def _build_people(session: Session, report: DemoReport, orgs: dict[str, Organisation], password: str) -> None:
    people = {p.username: p for p in session.exec(select(Person))}
    held = {(m.person_id, m.org_id, m.role) for m in session.exec(select(Membership))}
    password_hash: str | None = None  # argon2 is slow: hash once, only if some account needs it

    def demo_hash() -> str:
        nonlocal password_hash
        if password_hash is None:
            password_hash = hash_password(password)
        return password_hash

    for username, name, phone, memberships in data.PEOPLE:
        person = people.get(username)
        if person is None:
            person = Person(username=username, name=name, phone=phone)
            person.password_hash, person.password_changed_at = demo_hash(), utcnow()
            session.add(person)
            session.flush()
            report.people_created += 1
        else:
            report.people_existing += 1
            if not person.password_hash:
                person.password_hash, person.password_changed_at = demo_hash(), utcnow()
                person.updated_at = utcnow()
                person.version += 1
                session.add(person)
                report.passwords_set += 1
        home = orgs[memberships[0][0]]
        labels: list[str] = []
        for org_key, role, *rest in memberships:
            org = orgs[org_key]
            kind: MediatorKind | None = rest[0] if rest else None
            specialities: str = rest[1] if len(rest) > 1 else ""
            if (person.id, org.id, role) in held:
                report.memberships_existing += 1
            else:
                membership = Membership(person_id=person.id, org_id=org.id, role=role)
                membership.mediator_kind, membership.specialities = kind, specialities
                session.add(membership)
                held.add((person.id, org.id, role))
                report.memberships_created += 1
            labels.append(_role_label(role, kind) + ("" if org is home else f"@{org.name}"))
        report.accounts.append(DemoAccount(username, person.name, home.name, labels))
    session.flush()


def _build_supervision(session: Session, orgs: dict[str, Organisation]) -> None:
    held = {(s.org_id, s.supervised_id) for s in session.exec(select(Supervision))}
    for boss, supervised in data.SUPERVISION:
        if (orgs[boss].id, orgs[supervised].id) not in held:
            session.add(Supervision(org_id=orgs[boss].id, supervised_id=orgs[supervised].id))
    session.flush()


def _role_label(role: Role, kind: MediatorKind | None) -> str:
    return f"{role.label}（{kind.label}）" if kind else role.label
