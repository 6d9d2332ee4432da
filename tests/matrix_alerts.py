"""Early-warning routes in the permission matrix (tests/test_permissions.py): an area's alerts and their review.

Directors, supervisors and administrators watch an area; the others are refused (403) inside their scope, and
everyone gets 404 outside it. The review needs an alert: a group dispute received today at the area.
"""

from __future__ import annotations

from factories import World
from matrix_cases import insert_case
from sqlmodel import Session, update
from test_permissions import Route, _org_key, org_id

from portal import clock
from portal.alerts.months import Month
from portal.cases.models import Case
from portal.people.models import Role

WATCH = (Role.DIRECTOR, Role.SUPERVISOR, Role.ADMIN)


def review_form(db: Session, w: World, side: str) -> dict:
    """A group dispute at the area today, and the form that reviews its alert."""
    case = insert_case(db, w, _org_key(side))
    db.exec(update(Case).where(Case.id == case.id).values(group_dispute=True))
    db.commit()
    month = Month.of(clock.today())
    area = org_id(w, side)
    return {"org": str(area), "month": str(month), "key": f"group:{month}:{area}.0", "note": "已核实，已安排调解。"}


ROUTES = [
    Route("list_warnings", "GET", "org", WATCH, lambda w, s: f"/warnings?org={org_id(w, s)}"),
    Route("review_warning", "POST", "org", WATCH, lambda w, s: "/warnings/review", review_form, ok=303),
]
