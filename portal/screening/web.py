"""Screening pages: rounds with the missed-round warnings, one round with its findings, and the forms."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal import clock
from portal.errors import Conflict, Invalid
from portal.orgs import service as orgs
from portal.orgs.models import Organisation
from portal.problems import service as problems
from portal.problems.web import RISK_OPTIONS, org_options
from portal.scope import Principal
from portal.screening import service
from portal.screening.cadence import cadence_label
from portal.screening.models import ScreeningRound
from portal.web.render import Db, address_of, form_of, int_or_none, page, principal_of, redirect, save_edit

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


class ScreeningController(Controller):
    path = "/screening"

    @get("/", name="list_screening", sync_to_thread=True)
    def list_screening(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        """Recent rounds in scope, and the bodies whose round is overdue by their tier's cadence."""
        principal, today = _me(request), clock.today()
        org_id = int_or_none(org)
        # A statistic's drill-down (portal.stats): the rounds held in its period, in its organisation (本级 or subtree).
        dated = {
            "only": request.query_params.get("org_only") == "1" and org_id is not None,
            "held_from": _day(request.query_params.get("held_from")),
            "held_to": _day(request.query_params.get("held_to")),
        }
        filtered = dated["only"] or dated["held_from"] is not None or dated["held_to"] is not None
        return page(
            request,
            "screening/list.html",
            partial="screening/_rounds.html",
            title="矛盾纠纷排查",
            nav="screening",
            crumbs=[("矛盾纠纷排查", None)],
            rounds=service.list_rounds(db, principal, org_id=org_id, **dated),
            totals=service.round_totals(db, principal, org_id=org_id, **dated) if filtered else None,
            dated=dated,
            missed=service.missed_rounds(db, principal, today=today, org_id=org_id),
            cadence_label=cadence_label,
            org=org,
            org_options=org_options(orgs.visible_orgs(db, principal)),
            can_create=bool(principal.roots(*service.CREATE_ROLES)),
        )

    @get("/{round_id:int}", name="show_screening", sync_to_thread=True)
    def show_screening(self, request: Request, db: Db, round_id: FromPath[int]) -> Template:
        principal = _me(request)
        return self._show(request, db, principal, service.visible_round(db, principal, round_id))

    def _show(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        found: ScreeningRound,
        *,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
        finding: int = 0,
        form: problems.ProblemForm | None = None,
    ) -> Template:
        org = db.get(Organisation, found.org_id)
        return page(
            request,
            "screening/show.html",
            title=f"{org.name} {found.held_on} 排查",
            nav="screening",
            status=status,
            crumbs=[
                ("矛盾纠纷排查", request.app.route_reverse("list_screening")),
                (f"{org.name} {found.held_on}", None),
            ],
            round=found,
            org=org,
            linked=service.finding_items(db, found, principal),
            risk_options=RISK_OPTIONS,
            can_edit=service.can_record(principal, found.org_path),
            can_register=principal.has_role_over(found.org_path, *problems.EDIT_ROLES),
            errors=errors or {},
            message=message,
            failed=finding,
            failed_form=form,
        )

    def _form(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        *,
        form: service.RoundForm,
        found: ScreeningRound | None,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
        latest: ScreeningRound | None = None,
    ) -> Template:
        list_url = request.app.route_reverse("list_screening")
        crumbs = (
            [
                ("矛盾纠纷排查", list_url),
                (str(found.held_on), request.app.route_reverse("show_screening", round_id=found.id)),
                ("修改", None),
            ]
            if found
            else [("矛盾纠纷排查", list_url), ("记录排查", None)]
        )
        return page(
            request,
            "screening/form.html",
            title="修改排查记录" if found else "记录排查",
            nav="screening",
            crumbs=crumbs,
            form=form,
            round=found,
            errors=errors or {},
            message=message,
            status=status,
            latest=latest,
            org_options=org_options(service.recording_orgs(db, principal)),
        )

    @get("/new", name="new_screening_form", sync_to_thread=True)
    def new_screening_form(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        principal = _me(request)
        chosen = service.require_recorder_org(db, principal, org)
        form = service.RoundForm(org_id=str(chosen.id) if chosen else "", held_on=clock.today().isoformat())
        return self._form(request, db, principal, form=form, found=None)

    @post("/", name="create_screening", sync_to_thread=True)
    def create_screening(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = _me(request)
        form = form_of(service.RoundForm, data)
        try:
            found = service.create_round(db, principal, form, today=clock.today(), address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._form(
                request, db, principal, form=form, found=None, errors=exc.errors, message=exc.message, status=422
            )
        return redirect(request, request.app.route_reverse("show_screening", round_id=found.id), message="已记录排查。")

    @get("/{round_id:int}/edit", name="edit_screening_form", sync_to_thread=True)
    def edit_screening_form(self, request: Request, db: Db, round_id: FromPath[int]) -> Template:
        principal = _me(request)
        found = service.visible_round(db, principal, round_id)
        service.require_recorder_org(db, principal, str(found.org_id))
        return self._form(request, db, principal, form=service.RoundForm.of(found), found=found)

    @post("/{round_id:int}/edit", name="update_screening", sync_to_thread=True)
    def update_screening(self, request: Request, db: Db, round_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = _me(request)
        form = form_of(service.RoundForm, data)
        result = save_edit(
            db,
            form,
            save=lambda: service.update_round(
                db, principal, round_id, form, today=clock.today(), address=address_of(request)
            ),
            reload=lambda: service.visible_round(db, principal, round_id),
            rerender=lambda obj, **kw: self._form(request, db, principal, form=form, found=obj, **kw),
        )
        if isinstance(result, Template):
            return result
        return redirect(
            request, request.app.route_reverse("show_screening", round_id=result.id), message="已保存修改。"
        )

    @post("/{round_id:int}/findings/{finding:int}/problem", name="create_problem_from_finding", sync_to_thread=True)
    def create_problem_from_finding(
        self, request: Request, db: Db, round_id: FromPath[int], finding: FromPath[int], data: Form
    ) -> Template | Redirect:
        """One click per finding: the finding becomes a problem item (source 排查) linked to the round."""
        principal = _me(request)
        form = form_of(problems.ProblemForm, data)
        show = request.app.route_reverse("show_screening", round_id=round_id)
        try:
            problem = service.problem_from_finding(
                db, principal, round_id, finding, form, today=clock.today(), address=address_of(request)
            )
        except Invalid as exc:
            db.rollback()
            found = service.visible_round(db, principal, round_id)
            return self._show(
                request,
                db,
                principal,
                found,
                errors=exc.errors,
                message=exc.message,
                status=422,
                finding=finding,
                form=form,
            )
        except Conflict as exc:
            return redirect(request, show, message=exc.message, level="warning")
        return redirect(request, show, message=f"已登记为问题：{problem.title}")
