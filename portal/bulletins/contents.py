"""What a 专报 says, taken from the statistics and the early warning: one object for the page, the PDF and the Excel.

Every number comes from `portal.stats.service` (the statistics page's own functions, so the 专报 and the page agree)
and every alert from `portal.alerts.service.report`; this module only picks what a monthly 专报 shows (DOMAIN §8:
headline totals with 同比/环比, the types and their share, places and tiers, the share settled locally, the alerts,
group and risk cases, the typical cases the editor picked) and lists the cases behind the group and risk counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from portal.alerts import service as alerts
from portal.alerts.alert import Alert
from portal.alerts.months import Month
from portal.cases.access import visible_condition
from portal.cases.models import OUTCOMES, Case, DisputeType
from portal.orgs.models import Organisation
from portal.scope import Principal, prefix_pattern
from portal.settings import Settings
from portal.stats import periods, service
from portal.stats.dimensions import Place
from portal.stats.periods import Period

HEADLINE = (
    "received",
    "accepted",
    "succeeded",
    "success_rate",
    "local",
    "local_rate",
    "written",
    "oral",
    "group",
    "risk",
    "repeat",
    "people",
    "amount",
    "mediation_overdue",
)
BY_TYPE = ("received", "succeeded", "success_rate")
BY_PLACE = ("received", "accepted", "succeeded", "local_rate", "group", "risk")
BY_TIER = ("received", "succeeded", "local", "local_rate")
TREND = ("received", "succeeded")
LISTED = 50  # group and risk cases listed by name; the count says how many there are


@dataclass(frozen=True)
class CaseLine:
    """A case as the 专报 names it: no party's personal data beyond what the case's title says."""

    id: int
    number: str
    title: str
    type_name: str
    org_name: str
    received_on: date
    state: str

    @classmethod
    def of(cls, case: Case, types: dict[str, str], orgs: dict[int, str]) -> CaseLine:
        state = OUTCOMES.get(case.outcome or "", "") or case.state.label
        return cls(case.id, case.number, case.title, types.get(case.dispute_type, case.dispute_type),
                   orgs.get(case.org_id, ""), case.received_on, state)  # fmt: skip


@dataclass
class Contents:
    org: Organisation
    month: Month
    period: Period
    taken_on: date  # the day the numbers were counted
    headline: list[service.HeadlineRow]
    by_type: service.Table
    by_place: service.Table
    by_tier: service.Table
    trend: list[service.Row]
    alerts: list[Alert]
    group_cases: list[CaseLine]
    risk_cases: list[CaseLine]
    typical: list[CaseLine]

    def row(self, key: str) -> service.HeadlineRow:
        return next(r for r in self.headline if r.indicator.key == key)

    def value(self, key: str) -> float:
        return float(self.row(key).current.value or 0)

    def share(self, cell: service.Cell) -> float | None:
        """A type's share of the month's cases received."""
        total = self.value("received")
        return float(cell.value or 0) / total if total else None

    @property
    def top_types(self) -> list[service.Row]:
        return sorted(self.by_type.rows, key=lambda r: -(r.cells["received"].value or 0))

    @property
    def trend_indicators(self) -> list:
        return [service.expand([k])[0] for k in TREND]


def month_period(month: Month) -> Period:
    return periods.containing("month", month.first)


def gather(
    db: Session,
    principal: Principal,
    org: Organisation,
    month: Month,
    typical_ids: list[int],
    *,
    basis: service.Basis,
    settings: Settings,
) -> Contents:
    """The 专报's contents for the subtree of `org` and `month`, as `principal` may see them."""
    place, period = Place(org), month_period(month)
    report = alerts.report(db, principal, org, month, today=basis.today, settings=settings)
    types = dict(db.exec(select(DisputeType.code, DisputeType.name)).all())
    return Contents(
        org=org,
        month=month,
        period=period,
        taken_on=basis.today,
        headline=service.headline(db, principal, place, period, HEADLINE, basis=basis),
        by_type=service.table(db, principal, place, period, BY_TYPE, "type", basis=basis),
        by_place=service.table(db, principal, place, period, BY_PLACE, "org", basis=basis),
        by_tier=service.table(db, principal, place, period, BY_TIER, "tier", basis=basis),
        trend=service.trend(db, principal, place, period.trend(), TREND, basis=basis),
        alerts=report.alerts,
        group_cases=_flagged(db, principal, org, period, Case.group_dispute, types),
        risk_cases=_flagged(db, principal, org, period, Case.risk_flag, types),
        typical=typical_cases(db, principal, org, typical_ids, types),
    )


def _in_subtree(principal: Principal, org: Organisation):  # noqa: ANN202
    return Case.org_path.like(prefix_pattern(org.path)) & visible_condition(principal)


def _lines(db: Session, cases: list[Case], types: dict[str, str]) -> list[CaseLine]:
    ids = {c.org_id for c in cases}
    orgs = (
        dict(db.exec(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all()) if ids else {}
    )
    return [CaseLine.of(c, types, orgs) for c in cases]


def _flagged(db: Session, principal: Principal, org: Organisation, period: Period, flag, types) -> list[CaseLine]:  # noqa: ANN001
    """The month's group (or risk-flagged) cases, by received date as the statistics count them."""
    cases = db.exec(
        select(Case)
        .where(_in_subtree(principal, org), flag == True, Case.received_on >= period.start)  # noqa: E712
        .where(Case.received_on <= period.end)
        .order_by(Case.received_on, Case.id)
        .limit(LISTED)
    ).all()
    return _lines(db, list(cases), types)


def typical_cases(
    db: Session, principal: Principal, org: Organisation, ids: list[int], types: dict[str, str] | None = None
) -> list[CaseLine]:
    """The picked cases that lie in the subtree and that `principal` may see, in the order picked."""
    if not ids:
        return []
    if types is None:
        types = dict(db.exec(select(DisputeType.code, DisputeType.name)).all())
    found = {c.id: c for c in db.exec(select(Case).where(_in_subtree(principal, org), Case.id.in_(ids))).all()}
    return _lines(db, [found[i] for i in ids if i in found], types)


def candidates(db: Session, principal: Principal, org: Organisation, month: Month, limit: int = 40) -> list[CaseLine]:
    """Cases an editor may pick as typical: those of the subtree concluded (or else received) in the month."""
    period = month_period(month)
    concluded = (col(Case.concluded_on) >= period.start) & (col(Case.concluded_on) <= period.end)
    received = (Case.received_on >= period.start) & (Case.received_on <= period.end)
    cases = db.exec(
        select(Case)
        .where(_in_subtree(principal, org), concluded | received)
        .order_by(Case.group_dispute.desc(), Case.risk_flag.desc(), Case.received_on.desc(), Case.id.desc())
        .limit(limit)
    ).all()
    types = dict(db.exec(select(DisputeType.code, DisputeType.name)).all())
    return _lines(db, list(cases), types)


def find_by_number(db: Session, principal: Principal, org: Organisation, number: str) -> int | None:
    """A case of the subtree that `principal` may see, by its number."""
    return db.exec(select(Case.id).where(_in_subtree(principal, org), Case.number == number.strip())).first()
