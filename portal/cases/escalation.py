"""Escalation (督办): what is overdue rises on its own — a mediation past its deadline, a transfer nobody has answered,
a follow-up visit not made. Overdue by `director_days` it appears on the workspace of the director (调委会主任 or
负责人) of the body concerned; overdue by `supervisor_days` also on that of the body supervising it (司法所, 司法局).

Nothing is stored: an item's level follows from its deadline and today, so it can be checked with any fixed date.
"The body concerned" is the nearest body at or above the case (the receiver, for an unanswered transfer) that has a
director of its own: a township director sees the villages without one, not those that have theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, false, or_
from sqlmodel import Session, col, select

from portal.cases import areas, signing
from portal.cases.models import MEDIATION_STATES, Case, CaseState, Transfer, TransferState
from portal.orgs.models import Organisation, OrgKind
from portal.people.models import Role
from portal.scope import Principal, prefix_pattern

KINDS = {"mediation": "调解逾期", "answer": "移送答复逾期", "followup": "回访逾期"}
LEVELS = {"director": "报主任督办", "supervisor": "报督导机构"}
SHOWN = 20  # items listed per level on the workspace (the counts cover all)
BESIDE = (OrgKind.JUSTICE_OFFICE, OrgKind.JUSTICE_BUREAU)  # supervising bodies that sit beside what they supervise


@dataclass(frozen=True)
class Rules:
    director_days: int = 3
    supervisor_days: int = 10


@dataclass(frozen=True)
class Item:
    kind: str
    days: int  # days past the deadline
    due: date
    case_id: int
    number: str
    title: str
    org_name: str  # the body concerned: the handling body, or the receiver of an unanswered transfer

    @property
    def label(self) -> str:
        return KINDS[self.kind]


@dataclass
class Level:
    items: list[Item] = field(default_factory=list)  # the longest overdue first, at most SHOWN
    counts: dict[str, int] = field(default_factory=dict)  # per kind, all of them

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def labelled(self) -> list[tuple[str, str, int]]:
        """(kind, label, count) in the order of KINDS."""
        return [(kind, label, self.counts[kind]) for kind, label in KINDS.items() if kind in self.counts]


def supervised_paths(db: Session, principal: Principal) -> list[str]:
    """The subtrees the person supervises as 督导 — the interface to the supervision relation (organisation →
    supervised subtrees, being built in portal/scope.py). Until it lands, a 司法所/司法局 supervises what it sits beside
    (its parent's subtree: the township's committees, the county), any other body its own subtree; and escalations
    are listed only where the person's scope already reaches (a 司法局 sees them once the relation gives it scope)."""
    paths = []
    for grant in principal.grants:
        if grant.role is Role.SUPERVISOR:
            parent = grant.org.path.rsplit("/", 2)[0] + "/" if grant.org.kind in BESIDE and grant.org.parent_id else ""
            paths.append(parent or grant.org.path)
    return sorted(set(paths))


def _subtrees(paths: list[str]) -> Callable:
    return lambda column: or_(*[column.like(prefix_pattern(p)) for p in paths]) if paths else false()


def _collect(db: Session, area: Callable, *, today: date, days: int) -> Level:
    """Everything overdue by at least `days` inside `area`."""
    until = today - timedelta(days=max(days, 1))
    queries = {
        "mediation": select(Case.id, Case.number, Case.title, Organisation.name, Case.mediation_due_on)
        .join(Organisation, Organisation.id == Case.org_id)
        .where(Case.state.in_(MEDIATION_STATES), col(Case.mediation_due_on) <= until, area(Case.org_path)),
        "followup": select(Case.id, Case.number, Case.title, Organisation.name, Case.followup_due_on)
        .join(Organisation, Organisation.id == Case.org_id)
        .where(col(Case.state) == CaseState.CLOSED, col(Case.followup_due_on) <= until, area(Case.org_path)),
        "answer": select(Case.id, Case.number, Case.title, Organisation.name, Transfer.answer_due_on)
        .join(Case, Case.id == Transfer.case_id)
        .join(Organisation, Organisation.id == Transfer.to_org_id)
        .where(col(Transfer.state) == TransferState.SENT, col(Transfer.answer_due_on) <= until, area(Transfer.to_path)),
    }
    level = Level()
    for kind, query in queries.items():
        rows = db.exec(query).all()
        if rows:
            level.counts[kind] = len(rows)
        level.items += [
            Item(kind, (today - due).days, due, cid, number, title, org) for cid, number, title, org, due in rows
        ]
    level.items.sort(key=lambda i: (-i.days, i.number))
    del level.items[SHOWN:]
    return level


def escalations(db: Session, principal: Principal, *, today: date, rules: Rules) -> dict[str, Level]:
    """What has risen to the person, per level ("director", "supervisor"); a level they do not hold is left out."""
    out: dict[str, Level] = {}
    if principal.roots(*signing.LEADER_ROLES):
        area = areas.own_area(db, principal, signing.LEADER_ROLES)
        out["director"] = _collect(db, area, today=today, days=rules.director_days)
    supervised = supervised_paths(db, principal)
    if supervised:
        within = _subtrees(supervised)

        def seen(column):  # noqa: ANN001, ANN202 — named only where the person's scope already lets them read it
            return and_(within(column), principal.path_filter(column))

        out["supervisor"] = _collect(db, seen, today=today, days=rules.supervisor_days)
    return out
