"""The test county for subsidies and meetings: a 司法所 supervising 东镇 with its 督导, a tariff of 甲县矛调中心, and
filed cases ready to claim (a filed dossier version stands for the review it passed)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from factories import World, add_org, add_person
from matrix_cases import insert_case
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal import clock
from portal.cases.models import Case, CaseMediator, CaseRecord, CaseState
from portal.db import transaction, utcnow
from portal.dossiers.models import DossierVersion
from portal.orgs.models import Organisation, OrgKind, Supervision, Tier
from portal.people.models import Person, Role
from portal.subsidies.models import GRADES, Tariff, TariffRate

RATES = {
    "simple": Decimal("100"),
    "general": Decimal("150.10"),
    "difficult": Decimal("200.20"),
    "major": Decimal("300"),
}
_SEQ = count(1)


def add_office(engine: Engine, world: World) -> None:
    """东镇司法所 (township tier, beside 东镇's committee) supervising 东镇, with its 督导 `a1.office`."""
    with transaction(engine) as db:
        a1 = db.get(Organisation, world.org("a1").id)
        office = world.orgs["a1_sfs"] = add_org(db, "东镇司法所", a1, Tier.TOWNSHIP, OrgKind.JUSTICE_OFFICE, "东所")
        world.people["a1.office"] = add_person(db, "a1.office", "东所督导", (office, Role.SUPERVISOR))
        db.add(Supervision(org_id=office.id, supervised_id=a1.id))


def add_tariff(engine: Engine, world: World, **kwargs: object) -> int:
    with transaction(engine) as db:
        return insert_tariff(db, world, **kwargs)  # type: ignore[arg-type]


def insert_tariff(
    db: Session,
    world: World,
    *,
    org: str = "a",
    since: date = date(2020, 1, 1),
    cap: Decimal | None = None,
    failed: Decimal | None = None,
    rates: dict[str, Decimal] = RATES,
) -> int:
    tariff = Tariff(
        org_id=world.org(org).id,
        effective_from=since,
        oral_ratio=Decimal("0.5"),
        failed_ratio=failed,
        yearly_cap=cap,
        require_performed=True,
    )
    db.add(tariff)
    db.flush()
    for grade in GRADES:
        db.add(TariffRate(tariff_id=tariff.id, grade=grade, amount=rates[grade]))
    db.flush()
    return tariff.id


def filed_case(
    db: Session,
    world: World,
    org: str = "a1a",
    *,
    mediators: tuple[str, ...] = ("a1.mediator",),
    outcome: str = "written",
    performed: bool = True,
    filed: bool = True,
) -> Case:
    """An evaluated case with its mediators and a follow-up, filed unless `filed` is false."""
    case = insert_case(db, world, org, state=CaseState.EVALUATED)
    case = db.get(Case, case.id)
    today = clock.today()
    case.outcome, case.closed_on, case.concluded_on = outcome, today, today - timedelta(days=2)
    case.title = f"补贴测试纠纷{next(_SEQ)}"
    db.add(case)
    for n, key in enumerate(mediators):
        db.add(CaseMediator(case_id=case.id, person_id=world.person(key).id, lead=n == 0))
    db.add(
        CaseRecord(
            case_id=case.id,
            kind="followup",
            held_on=today,
            fields={"performance": "全部履行" if performed else "部分履行", "satisfaction": "满意"},
        )
    )
    if filed:
        case.archived_at = utcnow()
        db.add(
            DossierVersion(
                case_id=case.id,
                version=1,
                status="filed",
                variant="pdf/a-3b",
                sha256="0" * 64,
                storage_key="test",
                size=1,
                page_count=1,
                total_pages=1,
                manifest_sha256="0" * 64,
                manifest_key="test",
                created_by=world.person("a.archivist").id,
            )
        )
    db.commit()
    db.refresh(case)
    db.expunge(case)
    return case


def person(db: Session, world: World, key: str) -> Person:
    return db.get(Person, world.person(key).id)


def claim_id_of(db: Session, case_id: int) -> int | None:
    from portal.subsidies.models import Claim

    return db.exec(select(Claim.id).where(Claim.case_id == case_id)).first()
