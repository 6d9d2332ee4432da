"""Early-warning pages: an area's alerts of a month (/warnings), their review, and the workspace's panel."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal import clock
from portal.alerts import service
from portal.alerts.alert import anchor_of
from portal.alerts.months import Month
from portal.errors import Conflict, Invalid
from portal.orgs.models import Organisation
from portal.scope import Principal
from portal.settings import Settings
from portal.web.render import Db, address_of, int_or_none, page, principal_of, redirect

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PANEL_SECONDS = 300.0  # the workspace's panel may be this far behind the cases; /warnings never is


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


def warnings_url(request: Request, org_id: int, month: Month) -> str:
    return f"{request.app.route_reverse('list_warnings')}?{urlencode({'org': org_id, 'month': str(month)})}"


def _render(
    request: Request, db: Session, org: Organisation, month: Month, *, status: int = 200, **form: Any
) -> Template:
    principal, today = _me(request), clock.today()
    settings = request.app.state.settings
    shown = service.report(db, principal, org, month, today=today, settings=settings)
    cases = request.app.route_reverse("list_cases")
    watched = service.areas(principal)
    choices = [(str(o.id), o.name) for o in watched]
    if org.id not in {o.id for o in watched}:
        choices.append((str(org.id), org.name))
    return page(
        request,
        "alerts/list.html",
        title=f"预警 · {org.name} · {month.label}",
        nav="warnings",
        crumbs=[("预警", None)],
        status=status,
        report=shown,
        org=org,
        month=month,
        this_month=Month.of(today),
        area_choices=choices,
        case_href=lambda alert: f"{cases}?{urlencode(alert.case_filter)}",
        month_href=lambda m: warnings_url(request, org.id, m),
        place_href=lambda place: warnings_url(request, place.org_id, month) if not place.own else "",
        p_yellow=settings.alert_p_yellow,
        form=form,
    )


def _month(text: str) -> Month:
    return Month.parse(text) or Month.of(clock.today())


class AlertController(Controller):
    path = "/warnings"

    @get("/", name="list_warnings", sync_to_thread=True)
    def list_warnings(self, request: Request, db: Db, org: FromQuery[str] = "", month: FromQuery[str] = "") -> Template:
        """An area's alerts of a month (this month by default), worst first."""
        area = service.area_for(db, _me(request), int_or_none(org))
        return _render(request, db, area, _month(month))

    @post("/review", name="review_warning", sync_to_thread=True)
    def review_warning(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        """Mark an alert 已研判 with a note; the loser of two reviews at once is told who won (409)."""
        principal = _me(request)
        org = service.area_for(db, principal, int_or_none(str(data.get("org", ""))) or 0)
        month, key, note = _month(str(data.get("month", ""))), str(data.get("key", "")), str(data.get("note", ""))
        try:
            service.review(
                db,
                principal,
                org,
                month,
                key,
                note,
                today=clock.today(),
                settings=request.app.state.settings,
                address=address_of(request),
            )
        except Invalid as exc:
            return _render(request, db, org, month, status=422, key=key, note=note, errors=exc.errors)
        except Conflict as exc:
            db.rollback()
            return _render(request, db, org, month, status=409, key=key, note=note, message=exc.message)
        return redirect(request, f"{warnings_url(request, org.id, month)}#{anchor_of(key)}", message="已标记为已研判。")


def panel(db: Session, principal: Principal, settings: Settings) -> list[dict]:
    """The workspace's panel: for each area the person watches, this month's alerts and last month's unreviewed."""
    today = clock.today()
    this, last = Month.of(today), Month.of(today).shift(-1)
    rows = []
    for org in service.areas(principal)[:3]:
        now = service.report(db, principal, org, this, today=today, settings=settings, within=PANEL_SECONDS)
        before = service.report(db, principal, org, last, today=today, settings=settings, within=PANEL_SECONDS)
        rows.append({"org": org, "this": this, "last": last, "now": now, "before": before})
    return rows
