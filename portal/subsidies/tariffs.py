"""Tariffs (补贴标准): a supervising body's amounts per difficulty grade from a date on, edited by its administrator.

A tariff is never changed once made: a new one with a later `effective_from` takes over from that day, so every claim
keeps the terms it was decided under. The tariff that applies to a case is the latest one in effect on the day its
mediation ended, of a body above the case's organisation or supervising it (DOMAIN §8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session, or_, select

from portal import inputs
from portal.audit import service as audit
from portal.db import flush_once
from portal.errors import Forbidden, Invalid
from portal.orgs.models import Organisation, OrgKind, Supervision
from portal.people.models import Role
from portal.scope import OutOfScope, Principal
from portal.subsidies.models import GRADES, Tariff, TariffRate

OWNER_KINDS = (OrgKind.JUSTICE_BUREAU, OrgKind.JUSTICE_OFFICE, OrgKind.CENTRE)
ONE = Decimal(1)


@dataclass
class TariffForm:
    org_id: str = ""
    effective_from: str = ""
    rate_simple: str = ""
    rate_general: str = ""
    rate_difficult: str = ""
    rate_major: str = ""
    oral_ratio: str = "0.5"
    failed_ratio: str = ""
    yearly_cap: str = ""
    require_performed: str = "1"
    note: str = ""


@dataclass
class TariffView:
    tariff: Tariff
    org: Organisation
    rates: dict[str, Decimal] = field(default_factory=dict)


def owner_orgs(db: Session, principal: Principal) -> list[Organisation]:
    """Bodies whose tariffs the person may set: supervising bodies and centres they administer."""
    rows = db.exec(
        select(Organisation)
        .where(principal.path_filter(Organisation.path, Role.ADMIN), Organisation.active == True)  # noqa: E712
        .where(or_(*(Organisation.kind == kind for kind in OWNER_KINDS)))
        .order_by(Organisation.path)
    ).all()
    return list(rows)


def rates_of(db: Session, tariff_id: int) -> dict[str, Decimal]:
    rows = db.exec(select(TariffRate.grade, TariffRate.amount).where(TariffRate.tariff_id == tariff_id)).all()
    found = dict(rows)
    return {grade: found[grade] for grade in GRADES if grade in found}


def visible_tariffs(db: Session, principal: Principal) -> list[TariffView]:
    """The tariffs of the bodies the person sees, newest first within each body."""
    rows = db.exec(
        select(Tariff, Organisation)
        .join(Organisation, Organisation.id == Tariff.org_id)
        .where(principal.path_filter(Organisation.path))
        .order_by(Organisation.path, Tariff.effective_from.desc())
    ).all()
    return [TariffView(t, o, rates_of(db, t.id)) for t, o in rows]


def get_tariff(db: Session, principal: Principal, tariff_id: int) -> TariffView:
    tariff = db.get(Tariff, tariff_id)
    org = db.get(Organisation, tariff.org_id) if tariff else None
    if tariff is None or org is None or not principal.sees(org.path):
        raise OutOfScope("补贴标准不存在或您无权查看。", object_type="subsidy_tariff", object_id=tariff_id)
    return TariffView(tariff, org, rates_of(db, tariff.id))


def _ratio(errors: dict[str, str], key: str, raw: str, label: str, *, optional: bool) -> Decimal | None:
    if not raw.strip():
        if optional:
            return None
        errors[key] = f"请填写{label}。"
        return None
    try:
        value = inputs.money(raw, label=label, high=ONE)
    except inputs.BadInput:
        errors[key] = f"{label}应为 0 到 1 之间的小数（如 0.5 即五成），最多两位小数。"
        return None
    return value


def _validate(form: TariffForm, *, today: date) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    try:
        values["effective_from"] = inputs.day(form.effective_from, label="生效日期")
    except inputs.BadInput as exc:
        errors["effective_from"] = exc.message if form.effective_from.strip() else "请填写生效日期。"
    rates: dict[str, Decimal] = {}
    for grade, label in GRADES.items():
        raw = getattr(form, f"rate_{grade}")
        try:
            rates[grade] = inputs.money(raw, label=f"{label}案件补贴", high=Decimal("100000"))
        except inputs.BadInput as exc:
            errors[f"rate_{grade}"] = exc.message if raw.strip() else f"请填写{label}案件的补贴金额。"
    if len(rates) == len(GRADES) and list(rates.values()) != sorted(rates.values()):
        errors["rate_major"] = "补贴金额应随难度递增（简易 ≤ 一般 ≤ 疑难 ≤ 重大）。"
    values["rates"] = rates
    values["oral_ratio"] = _ratio(errors, "oral_ratio", form.oral_ratio, "口头协议补贴比例", optional=False)
    values["failed_ratio"] = _ratio(errors, "failed_ratio", form.failed_ratio, "调解不成补贴比例", optional=True)
    values["yearly_cap"] = None
    if form.yearly_cap.strip():
        try:
            values["yearly_cap"] = inputs.money(form.yearly_cap, label="每名调解员年度上限", high=Decimal("1000000"))
        except inputs.BadInput as exc:
            errors["yearly_cap"] = exc.message
    values["require_performed"] = form.require_performed in ("1", "on", "true")
    try:
        values["note"] = inputs.text(form.note, label="说明", max_length=2000)
    except inputs.BadInput as exc:
        errors["note"] = exc.message
    if errors:
        raise Invalid(errors)
    return values


def create(db: Session, principal: Principal, form: TariffForm, *, today: date, address: str = "") -> TariffView:
    """A new tariff of a body the person administers; a body has one tariff per effective date."""
    org_id = inputs.id_or_none(form.org_id)
    if org_id is None:
        if not principal.roots(Role.ADMIN):
            raise Forbidden("只有司法局、司法所或矛调中心的管理员可以制定补贴标准。")
        raise Invalid({"org_id": "请选择制定标准的机构。"})
    org = principal.visible_org(db, org_id)
    if not principal.has_role_over(org.path, Role.ADMIN):
        raise Forbidden("只有该机构本级或上级的管理员可以制定补贴标准。")
    if org.kind not in OWNER_KINDS:
        raise Invalid({"org_id": "补贴标准由司法局、司法所或矛调中心制定。"})
    values = _validate(form, today=today)
    rates = values.pop("rates")
    tariff = Tariff(org_id=org.id, created_by=principal.person.id, **values)
    db.add(tariff)
    flush_once(db, f"{org.name}在 {values['effective_from']} 已有一份补贴标准；新标准请选另一个生效日期。")
    for grade, amount in rates.items():
        db.add(TariffRate(tariff_id=tariff.id, grade=grade, amount=amount))
    db.flush()
    audit.record(
        db,
        "subsidy.tariff",
        actor=principal.person,
        org=org,
        object_type="subsidy_tariff",
        object_id=tariff.id,
        summary=f"制定补贴标准：{org.name}，自 {tariff.effective_from} 起",
        changes={
            **{GRADES[g]: [None, str(a)] for g, a in rates.items()},
            "oral_ratio": [None, str(tariff.oral_ratio)],
            "failed_ratio": [None, None if tariff.failed_ratio is None else str(tariff.failed_ratio)],
            "yearly_cap": [None, None if tariff.yearly_cap is None else str(tariff.yearly_cap)],
            "require_performed": [None, tariff.require_performed],
        },
        address=address,
    )
    return TariffView(tariff, org, rates)


def bodies_over(db: Session, org: Organisation) -> list[int]:
    """The organisation, its ancestors, and every body supervising one of them: whose tariffs may apply to it."""
    chain = [*org.ancestor_ids, org.id]
    supervising = db.exec(select(Supervision.org_id).where(Supervision.supervised_id.in_(chain))).all()
    return sorted({*chain, *supervising})


def applicable(db: Session, org: Organisation, day: date) -> Tariff | None:
    """The latest tariff in effect on `day` of a body over `org` (a later start wins; then the newer tariff)."""
    return db.exec(
        select(Tariff)
        .where(Tariff.org_id.in_(bodies_over(db, org)), Tariff.effective_from <= day)
        .order_by(Tariff.effective_from.desc(), Tariff.id.desc())
    ).first()
