"""Early warning (预警): an area's alerts for a month, and their review (已研判).

The API the monthly 专报 builds on: `area_for` (which organisation's subtree a person may watch), `report` (the
alerts of an area and a month, each with what was observed, the baseline, the rule and its threshold, and the case
list's filter of exactly its cases) and `review`. See docs/early-warning.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from portal import freshness
from portal.alerts import rules
from portal.alerts.alert import Alert, sort_key
from portal.alerts.cells import Area
from portal.alerts.models import AlertReview
from portal.alerts.months import Month
from portal.alerts.signals import Thresholds, statistical
from portal.audit import service as audit
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import Principal
from portal.settings import Settings

ROLES = (Role.DIRECTOR, Role.SUPERVISOR, Role.ADMIN)  # who watches an area's alerts and reviews them
NOTE_MAX = 2000


def areas(principal: Principal) -> list[Organisation]:
    """The outermost organisations whose subtrees the person watches, in the order of their grants."""
    roots, seen, found = principal.roots(*ROLES), set(), []
    for grant in principal.grants:
        if grant.path in roots and grant.path not in seen:
            seen.add(grant.path)
            found.append(grant.org)
    return found


def area_for(db: Session, principal: Principal, org_id: int | None) -> Organisation:
    """The organisation to watch: the one asked for, or the first one. 404 outside the scope, 403 without a role."""
    if org_id is None:
        watched = areas(principal)
        if not watched:
            raise Forbidden("只有调委会主任、督导和管理员可以查看预警。")
        return watched[0]
    org = principal.visible_org(db, org_id)
    if not principal.has_role_over(org.path, *ROLES):
        raise Forbidden("只有本机构或上级的调委会主任、督导和管理员可以查看该机构的预警。")
    return org


@dataclass
class Report:
    """An area's alerts of one month."""

    area: Area
    month: Month
    today: date
    alerts: list[Alert]
    tested: int  # cells the statistics judged
    start: Month | None  # the area's first month with a case: the history the baselines have
    volume: int = 0  # the area's cases received in the month
    usual: float | None = None  # … and their monthly mean over the months before it (up to 12)

    @property
    def current(self) -> bool:
        """The month holds today: the rules about the present state are in it, and its counts are partial."""
        return self.month == Month.of(self.today)

    def count(self, *, level: str | None = None, reviewed: bool | None = None) -> int:
        return sum(
            1
            for a in self.alerts
            if (level is None or a.level == level) and (reviewed is None or (a.review is not None) == reviewed)
        )


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(settings.alert_min_count, settings.alert_p_yellow, settings.alert_p_red)


_KEPT = freshness.Remembered(size=256)  # alerts of (database, scope, area, month, today) while no case changes
_RECENT: dict[tuple, tuple[float, Report]] = {}  # … and for summaries, as computed at most `within` seconds ago
_RECENT_KEPT = 256


def report(
    db: Session,
    principal: Principal,
    org: Organisation,
    month: Month,
    *,
    today: date,
    settings: Settings,
    within: float | None = None,
) -> Report:
    """The alerts of the area of `org` in `month`, worst first, each with its review (always read anew) if it has one.

    Exact by default: computed again once any case has changed. A summary that may lag a little behind the cases
    (the workspace's panel) passes `within`, seconds: a report computed that recently is used as it is. At 100,000
    cases a county's report costs a few hundred milliseconds (bench/alerts.py), and on a busy portal some case changes
    every few seconds."""
    key = (freshness.database_of(db), principal.scope, org.id, org.path, month, today, thresholds(settings))
    recent = _RECENT.get(key) if within is not None else None
    if recent is not None and within is not None and time.monotonic() - recent[0] <= within:
        return _with_reviews(db, recent[1])
    generation = freshness.current(db)

    def compute() -> Report:
        area = Area.of(db, org)
        judged = statistical(db, principal, area, month, thresholds(settings))
        alerts = judged.alerts + rules.flagged(db, principal, area, month)
        if month == Month.of(today):
            alerts += rules.overdue_transfers(db, principal, area, month, today)
            alerts += rules.overdue_followups(db, principal, area, month, today)
            alerts += rules.repeat_petitioners(
                db,
                principal,
                area,
                month,
                today,
                recent_days=settings.recent_case_days,
                least=settings.alert_repeat_cases,
            )
        ordered = sorted(alerts, key=sort_key)
        return Report(area, month, today, ordered, judged.tested, judged.start, judged.volume, judged.usual)

    kept = _KEPT.get(key, generation, compute)
    if len(_RECENT) >= _RECENT_KEPT:
        _RECENT.clear()
    _RECENT[key] = (time.monotonic(), kept)
    return _with_reviews(db, kept)


def _with_reviews(db: Session, kept: Report) -> Report:
    reviews = reviews_of(db, [a.key for a in kept.alerts])
    return replace(kept, alerts=[replace(a, review=reviews.get(a.key)) for a in kept.alerts])


def reviews_of(db: Session, keys: list[str]) -> dict[str, AlertReview]:
    if not keys:
        return {}
    return {r.key: r for r in db.exec(select(AlertReview).where(AlertReview.key.in_(keys))).all()}


def review(
    db: Session,
    principal: Principal,
    org: Organisation,
    month: Month,
    key: str,
    note: str,
    *,
    today: date,
    settings: Settings,
    address: str = "",
) -> AlertReview:
    """Mark an alert of the area 已研判 with a note, once: a second review of the same alert is refused (Conflict)."""
    note = note.strip()
    if not note:
        raise Invalid({"note": "请写明研判意见，如：已核实，系土地确权集中引发，已安排联合调解。"})
    if len(note) > NOTE_MAX:
        raise Invalid({"note": f"研判意见不能超过 {NOTE_MAX} 字。"})
    alert = next(
        (a for a in report(db, principal, org, month, today=today, settings=settings).alerts if a.key == key), None
    )
    if alert is None:
        raise NotFound("该预警不存在或已不再触发，请刷新预警列表。")
    if alert.review is not None:
        raise Conflict(_reviewed(alert.review))
    entry = AlertReview(
        key=key,
        month=str(month),
        rule=alert.rule,
        org_id=org.id,
        observed=alert.observed,
        note=note,
        reviewed_by=principal.person.id,
        reviewer_name=principal.person.name,
    )
    db.add(entry)
    try:
        db.flush()  # the unique key decides between two people reviewing at once, on both databases
    except IntegrityError:
        db.rollback()
        raise Conflict(_reviewed(reviews_of(db, [key]).get(key))) from None
    audit.record(
        db,
        "alert.review",
        actor=principal.person,
        org=org,
        object_type="alert",
        object_id=key,
        summary=f"研判预警：{alert.subject}（{alert.rule_label}，{month.label}）：{note}",
        address=address,
    )
    return entry


def _reviewed(existing: AlertReview | None) -> str:
    if existing is None:
        return "该预警刚刚已由他人研判，请刷新预警列表。"
    return f"该预警已由 {existing.reviewer_name} 研判，不能重复研判。请刷新预警列表查看研判意见。"
