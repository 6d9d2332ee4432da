"""Statistics and supervision routes in the permission matrix (tests/test_permissions.py).

Everyone reads the statistics of what they may see (an organisation outside it is 404); only an administrator over
both ends sets or ends a supervision relation.
"""

from __future__ import annotations

from factories import World
from sqlmodel import Session, select
from test_permissions import Route, org_id

from portal.orgs.models import Supervision


def _pair(db: Session, w: World, side: str) -> int:
    """A relation of the side's organisation (a1a_g → 医疗调委会 in county A, b1 → b in county B), made on first use."""
    boss, supervised = (w.org("a1a_g"), w.org("a_med")) if side == "in" else (w.org("b1"), w.org("b"))
    found = db.exec(select(Supervision.id).where(Supervision.org_id == boss.id)).first()
    if found is None:
        pair = Supervision(org_id=boss.id, supervised_id=supervised.id)
        db.add(pair)
        db.commit()
        found = pair.id
    return found


ROUTES = [
    Route("show_stats", "GET", "org", "any", lambda w, s: f"/stats?org={org_id(w, s)}&kind=year"),
    Route("export_stats", "GET", "org", "any", lambda w, s: f"/stats/export.xlsx?org={org_id(w, s)}"),
    Route("show_consistency", "GET", "org", "any", lambda w, s: f"/stats/consistency?org={org_id(w, s)}"),
    Route("api_stats", "GET", "org", "any", lambda w, s: f"/api/stats?org={org_id(w, s)}&by=tier", anonymous=401),
    Route(
        "add_supervision",
        "POST",
        "org",
        "admin",
        lambda w, s: f"/orgs/{org_id(w, s)}/supervision",
        lambda db, w, s: {"supervised_id": str(w.org("a_med" if s == "in" else "b").id)},
        ok=303,
    ),
    Route(
        "remove_supervision",
        "POST",
        "org",
        "admin",
        lambda db, w, s: f"/orgs/{org_id(w, s)}/supervision/{_pair(db, w, s)}/delete",
        lambda db, w, s: {},
        ok=303,
    ),
]
