"""The person's landing page: their organisations, and what they can do from there."""

from __future__ import annotations

from datetime import date, timedelta

from litestar import Request, get
from litestar.response import Redirect, Template
from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from portal import clock
from portal.alerts.web import panel as alert_panel
from portal.auth.service import last_sign_in
from portal.cases import queues, reports
from portal.cases.escalation import Rules, escalations
from portal.cases.models import MEDIATION_STATES, OPEN_STATES, Case, CaseState
from portal.cases.service import overdue_condition
from portal.orgs import service as orgs
from portal.scope import Principal
from portal.web.render import Db, page, principal_of


@get("/", name="home", sync_to_thread=False)
def home(request: Request) -> Redirect:
    return Redirect(path=request.app.route_reverse("workspace"), status_code=303)


def overview(db: Session, principal: Principal) -> list[dict]:
    """For each organisation where the person holds a role: the roles, and the size of its subtree."""
    cards: dict[int, dict] = {}
    for grant in principal.grants:
        card = cards.setdefault(
            grant.org.id, {"org": grant.org, "roles": [], "counts": None, "children": [], "via": grant.via}
        )
        card["roles"].append(grant.role)
    for card in cards.values():
        card["counts"] = orgs.descendant_counts(db, card["org"])
        card["children"] = orgs.children(db, principal, card["org"])
    return list(cards.values())


def case_summary(db: Session, principal: Principal, today: date, soon_days: int) -> dict[str, int]:
    """Cases handled by the person's organisations: open, overdue, due soon."""
    mine = principal.path_filter(Case.org_path)
    soon = today + timedelta(days=soon_days)
    working = Case.state.in_(MEDIATION_STATES)
    due_soon = or_(
        and_(working, col(Case.mediation_due_on) >= today, col(Case.mediation_due_on) <= soon),
        and_(
            col(Case.state) == CaseState.CLOSED, col(Case.followup_due_on) >= today, col(Case.followup_due_on) <= soon
        ),
    )

    def count(*conditions) -> int:  # noqa: ANN002
        return db.exec(select(func.count()).select_from(Case).where(mine, *conditions)).one()

    return {
        "open": count(Case.state.in_(OPEN_STATES)),
        "overdue": count(overdue_condition(today)),
        "due_soon": count(due_soon),
    }


@get("/workspace", name="workspace", sync_to_thread=True)
def workspace(request: Request, db: Db) -> Template:
    principal = principal_of(request)
    assert principal is not None
    settings = request.app.state.settings
    today = clock.today()
    return page(
        request,
        "workspace.html",
        title="工作台",
        nav="workspace",
        crumbs=[("工作台", None)],
        cards=overview(db, principal),
        last=last_sign_in(db, principal.person),
        cases=case_summary(db, principal, today, settings.due_soon_days),
        due_soon_days=settings.due_soon_days,
        can_report=bool(reports.units(principal)),
        queues=queues.counts(db, principal, today),
        queue_labels=queues.QUEUES,
        returned=queues.listing(db, principal, queues.TransferFilter(queue="returned"), today=today, page=1, size=10),
        escalated=escalations(
            db,
            principal,
            today=today,
            rules=Rules(settings.escalate_director_days, settings.escalate_supervisor_days),
        ),
        escalate_days=(settings.escalate_director_days, settings.escalate_supervisor_days),
        alert_panel=alert_panel(db, principal, settings),
    )
