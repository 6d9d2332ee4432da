"""The person's landing page: their organisations, and what they can do from there."""

from __future__ import annotations

from datetime import date, timedelta

from litestar import Request, get
from litestar.response import Redirect, Template
from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from portal import clock
from portal.auth.service import last_sign_in
from portal.cases import transfers
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
    """Cases handled by the person's organisations: open, overdue, due soon; and transfers awaiting their answer."""
    mine = principal.path_filter(Case.org_path)
    soon = today + timedelta(days=soon_days)
    working = Case.state.in_(MEDIATION_STATES)
    due_soon = or_(
        and_(working, Case.mediation_due_on >= today, Case.mediation_due_on <= soon),
        and_(Case.state == CaseState.CLOSED, Case.followup_due_on >= today, Case.followup_due_on <= soon),
    )

    def count(*conditions) -> int:  # noqa: ANN002
        return db.exec(select(func.count()).select_from(Case).where(mine, *conditions)).one()

    return {
        "open": count(Case.state.in_(OPEN_STATES)),
        "overdue": count(overdue_condition(today)),
        "due_soon": count(due_soon),
        "inbox": len(transfers.inbox(db, principal)),
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
    )
