"""The person's landing page: their organisations, and what they can do from there."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal.auth.service import last_sign_in
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
        card = cards.setdefault(grant.org.id, {"org": grant.org, "roles": [], "counts": None, "children": []})
        card["roles"].append(grant.role)
    for card in cards.values():
        card["counts"] = orgs.descendant_counts(db, card["org"])
        card["children"] = orgs.children(db, principal, card["org"])
    return list(cards.values())


@get("/workspace", name="workspace", sync_to_thread=True)
def workspace(request: Request, db: Db) -> Template:
    principal = principal_of(request)
    assert principal is not None
    return page(request, "workspace.html", title="工作台", nav="workspace", crumbs=[("工作台", None)],
                cards=overview(db, principal), last=last_sign_in(db, principal.person))
