"""Payment batches (发放表): a body's approved claims of a month, paid after the yearly cap; each mediator's totals.

Making a batch holds the paying body's row (portal.db.lock), so two batches of one body — whose yearly caps read
what the other pays — are made one after the other; the (body, month) pair is unique, and each claim moves into a
batch by a conditional UPDATE (approved and in no batch yet), so no claim is ever in two batches.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from sqlalchemy import update
from sqlmodel import Session, col, select

from portal.audit import service as audit
from portal.cases.models import Case
from portal.db import flush_once, lock, utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import OutOfScope, Principal
from portal.subsidies import money
from portal.subsidies.models import Claim, ClaimShare, ClaimState, PaymentBatch, Tariff
from portal.subsidies.reading import visible_condition

PAY_ROLES = (Role.SUPERVISOR, Role.ADMIN)
MADE = "该机构本月的补贴发放表已经编制，不能重复编制。"


def parse_month(raw: str) -> str:
    raw = raw.strip()
    try:
        year, month = (int(part) for part in raw.split("-"))
        date(year, month, 1)
    except ValueError as exc:
        raise Invalid({"month": "请选择发放月份（年-月）。"}) from exc
    if not 2000 <= year <= 2100:
        raise Invalid({"month": "发放月份超出范围。"})
    return f"{year:04d}-{month:02d}"


def payers(db: Session, principal: Principal) -> list[Organisation]:
    """Bodies with a tariff whose batches the person may make and read."""
    rows = db.exec(
        select(Organisation)
        .where(Organisation.id.in_(select(Tariff.org_id)), principal.path_filter(Organisation.path, *PAY_ROLES))
        .order_by(Organisation.path)
    ).all()
    return list(rows)


def visible_batches(db: Session, principal: Principal) -> list[tuple[PaymentBatch, Organisation]]:
    rows = db.exec(
        select(PaymentBatch, Organisation)
        .join(Organisation, Organisation.id == PaymentBatch.org_id)
        .where(principal.path_filter(Organisation.path, *PAY_ROLES))
        .order_by(PaymentBatch.month.desc(), Organisation.path)
    ).all()
    return cast(list[tuple[PaymentBatch, Organisation]], [tuple(r) for r in rows])


def get_batch(db: Session, principal: Principal, batch_id: int) -> tuple[PaymentBatch, Organisation]:
    batch = db.get(PaymentBatch, batch_id)
    org = db.get(Organisation, batch.org_id) if batch else None
    if batch is None or org is None or not principal.has_role_over(org.path, *PAY_ROLES):
        raise OutOfScope("发放表不存在或您无权查看。", object_type="subsidy_batch", object_id=batch_id)
    return batch, org


def paid_in_year(db: Session, person_id: int, year: int) -> Decimal:
    """What batches of `year` paid the person so far (of every body); summed here in Decimal (see money_sum)."""
    return money_sum(
        db.exec(
            select(col(ClaimShare.paid))
            .join(Claim, Claim.id == ClaimShare.claim_id)
            .join(PaymentBatch, PaymentBatch.id == Claim.batch_id)
            .where(ClaimShare.person_id == person_id, PaymentBatch.month.startswith(f"{year:04d}-"))
        ).all()
    )


def money_sum(values) -> Decimal:  # noqa: ANN001
    """Amounts added in Python, never with SQL SUM: SQLite keeps NUMERIC as REAL, and while each stored amount (at most
    12 digits) reads back exact at the fen, a sum over many rows in floating point need not."""
    return sum((Decimal(v) for v in values if v is not None), money.ZERO)


def make(db: Session, principal: Principal, org_id: int, raw_month: str, *, address: str = "") -> PaymentBatch:
    """The month's batch of the body: every approved claim it pays that is in no batch yet, approved by the month's
    end; each share paid up to what the mediator's yearly cap leaves."""
    org = principal.visible_org(db, org_id)
    if not principal.has_role_over(org.path, *PAY_ROLES):
        raise Forbidden("补贴发放表由付款机构的督导或管理员编制。")
    month = parse_month(raw_month)
    lock(db, Organisation, org.id)
    if db.exec(select(PaymentBatch.id).where(PaymentBatch.org_id == org.id, PaymentBatch.month == month)).first():
        raise Conflict(MADE)
    year, mon = int(month[:4]), int(month[5:])
    end = date(year, mon, calendar.monthrange(year, mon)[1])
    claims = list(
        db.exec(
            select(Claim)
            .where(
                Claim.payer_id == org.id,
                Claim.state == ClaimState.APPROVED,
                Claim.batch_id.is_(None),
                col(Claim.approved_on) <= end,
            )
            .order_by(Claim.approved_on, Claim.id)
            .execution_options(populate_existing=True)
        ).all()
    )
    if not claims:
        raise Invalid({"month": f"{month} 没有已核准、待发放的补贴。"}, "没有可以列入发放表的补贴。")
    batch = PaymentBatch(
        org_id=org.id,
        month=month,
        claims=len(claims),
        total=money.ZERO,
        created_by=principal.person.id,
        created_by_name=principal.person.name,
    )
    db.add(batch)
    flush_once(db, MADE)
    caps = dict(db.exec(select(col(Tariff.id), col(Tariff.yearly_cap)).where(Tariff.org_id == org.id)).all())
    paid_so_far: dict[int, Decimal] = {}
    total = money.ZERO
    for claim in claims:
        for share in db.exec(select(ClaimShare).where(ClaimShare.claim_id == claim.id).order_by(ClaimShare.id)).all():
            if share.person_id not in paid_so_far:
                paid_so_far[share.person_id] = paid_in_year(db, share.person_id, year)
            share.paid = money.capped(share.amount, paid_so_far[share.person_id], caps.get(claim.tariff_id))
            paid_so_far[share.person_id] += share.paid
            total += share.paid
            db.add(share)
    moved = db.execute(
        update(Claim)
        .where(
            Claim.id.in_([c.id for c in claims]),
            Claim.state == ClaimState.APPROVED,
            Claim.batch_id.is_(None),
        )
        .values(state=ClaimState.BATCHED, batch_id=batch.id, version=Claim.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != len(claims):
        raise Conflict("部分补贴刚刚已被列入其他发放表。请刷新后重新编制。")
    batch.total = total
    db.add(batch)
    db.flush()
    audit.record(
        db,
        "subsidy.batch",
        actor=principal.person,
        org=org,
        object_type="subsidy_batch",
        object_id=batch.id,
        summary=f"编制补贴发放表：{org.name} {month}，{len(claims)} 件，合计 {money.yuan(total)} 元",
        changes={"claims": [None, [c.id for c in claims]], "total": [None, str(total)]},
        address=address,
    )
    return batch


def mark_paid(
    db: Session, principal: Principal, batch_id: int, *, version: str, today: date, address: str = ""
) -> PaymentBatch:
    """The batch was paid out: its claims are paid."""
    batch, org = get_batch(db, principal, batch_id)
    lock(db, PaymentBatch, batch.id)
    db.refresh(batch)
    if batch.paid_on is not None or str(batch.version) != version.strip():
        raise Conflict("该发放表刚刚已由他人确认发放。")
    batch.paid_on = today
    batch.version += 1
    db.add(batch)
    db.execute(
        update(Claim)
        .where(Claim.batch_id == batch.id, Claim.state == ClaimState.BATCHED)
        .values(state=ClaimState.PAID, version=Claim.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.flush()
    audit.record(
        db,
        "subsidy.paid",
        actor=principal.person,
        org=org,
        object_type="subsidy_batch",
        object_id=batch.id,
        summary=f"确认补贴已发放：{org.name} {batch.month}，合计 {money.yuan(batch.total)} 元",
        changes={"paid_on": [None, today.isoformat()]},
        address=address,
    )
    return batch


@dataclass
class Line:
    """One row of the 发放表: a mediator's share of one claim."""

    number: str
    title: str
    org: str
    grade: str
    outcome: str
    claim_amount: Decimal
    person: str
    share: Decimal
    paid: Decimal


def lines(db: Session, batch: PaymentBatch) -> list[Line]:
    from portal.subsidies.claims import OUTCOME_LABELS
    from portal.subsidies.models import GRADES

    rows = db.exec(
        select(Claim, Case, Organisation, ClaimShare)
        .join(Case, Case.id == Claim.case_id)
        .join(Organisation, Organisation.id == Case.org_id)
        .join(ClaimShare, ClaimShare.claim_id == Claim.id)
        .where(Claim.batch_id == batch.id)
        .order_by(Organisation.path, Case.number, ClaimShare.id)
    ).all()
    return [
        Line(
            case.number,
            case.title,
            org.name,
            GRADES.get(claim.grade, claim.grade),
            OUTCOME_LABELS.get(claim.outcome, claim.outcome),
            claim.amount,
            share.person_name,
            share.amount,
            share.paid if share.paid is not None else share.amount,
        )
        for claim, case, org, share in rows
    ]


@dataclass
class YearTotal:
    person_id: int
    name: str
    claims: int
    entitled: Decimal  # approved shares of the year's batches
    paid: Decimal  # after the yearly cap
    pending: Decimal  # approved, not yet in a batch


def year_totals(db: Session, principal: Principal, year: int) -> list[YearTotal]:
    """Each mediator's year, over the claims the person may see (a mediator only their own line): shares of the year's
    batches as approved and as paid after the cap, and approved shares not yet in a batch."""
    prefix = f"{year:04d}-"
    rows = db.exec(
        select(ClaimShare, Claim.state, PaymentBatch.month, col(Claim.approved_on))
        .join(Claim, Claim.id == ClaimShare.claim_id)
        .join(Case, Case.id == Claim.case_id)
        .outerjoin(PaymentBatch, PaymentBatch.id == Claim.batch_id)
        .where(
            visible_condition(principal),
            Claim.state.in_((ClaimState.APPROVED, ClaimState.BATCHED, ClaimState.PAID)),
        )
    ).all()
    totals: dict[int, YearTotal] = {}
    for share, state, month, approved_on in rows:
        in_year = month.startswith(prefix) if month else bool(approved_on and approved_on.year == year)
        if not in_year:
            continue
        row = totals.setdefault(
            share.person_id, YearTotal(share.person_id, share.person_name, 0, money.ZERO, money.ZERO, money.ZERO)
        )
        if state is ClaimState.APPROVED:
            row.pending += share.amount
        else:
            row.claims += 1
            row.entitled += share.amount
            row.paid += share.paid if share.paid is not None else share.amount
    if not principal.roots(*PAY_ROLES, Role.DIRECTOR, Role.HEAD):
        totals = {pid: row for pid, row in totals.items() if pid == principal.person.id}
    return sorted(totals.values(), key=lambda r: (-r.paid, r.name))
