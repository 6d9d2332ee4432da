"""Problem-list pages: the scoped list with filters, one item with its history, and the forms."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal import clock
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import service as orgs
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.problems import service
from portal.problems.models import SOURCES, STATE_LABELS, Problem, ProblemState, RiskLevel
from portal.scope import Principal
from portal.web.render import Db, address_of, form_of, int_or_none, page, principal_of, redirect, save_edit

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
RISK_OPTIONS = [(r.value, r.label) for r in RiskLevel]


def org_options(orgs_: list[Organisation]) -> list[tuple[str, str]]:
    top = min((o.depth for o in orgs_), default=0)
    return [(str(o.id), "　" * (o.depth - top) + o.name) for o in orgs_]


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


def _dated(flt: service.ProblemFilter, params) -> dict[str, str]:  # noqa: ANN001
    """A statistic's drill-down (portal.stats): 本级 and the days found or struck off in; what was taken, to link on."""
    taken: dict[str, str] = {}
    flt.org_only = params.get("org_only") == "1" and flt.org_id is not None
    if flt.org_only:
        taken["org_only"] = "1"
    for key in ("found_from", "found_to", "struck_from", "struck_to"):
        try:
            setattr(flt, key, date.fromisoformat(params.get(key, "")))
        except ValueError:
            continue
        taken[key] = params[key]
    return taken


class ProblemController(Controller):
    path = "/problems"

    @get("/", name="list_problems", sync_to_thread=True)
    def list_problems(
        self,
        request: Request,
        db: Db,
        org: FromQuery[str] = "",
        state_: Annotated[str, QueryParameter(name="state")] = "",
        risk: FromQuery[str] = "",
        overdue: FromQuery[bool] = False,
    ) -> Template:
        """The items in scope, filtered first and then paginated; counts by state above them."""
        principal, today = _me(request), clock.today()
        state = state_
        page_no = max(1, int_or_none(request.query_params.get("page")) or 1)
        flt = service.ProblemFilter(
            org_id=int_or_none(org),
            state=ProblemState(state) if state in ProblemState._value2member_map_ else None,
            risk=RiskLevel(risk) if risk in RiskLevel._value2member_map_ else None,
            overdue=overdue,
        )
        dated = _dated(flt, request.query_params)
        result = service.list_problems(db, principal, flt, today=today, page=page_no)
        query = {"org": org, "state": state, "risk": risk, "overdue": str(overdue).lower(), **dated}
        base = request.app.route_reverse("list_problems")
        result.prev_url = f"{base}?{urlencode({**query, 'page': page_no - 1})}"
        result.next_url = f"{base}?{urlencode({**query, 'page': page_no + 1})}"
        return page(
            request,
            "problems/list.html",
            partial="problems/_table.html",
            title="问题清单",
            nav="problems",
            crumbs=[("问题清单", None)],
            result=result,
            today=today,
            org=org,
            state=state,
            risk=risk,
            overdue=overdue,
            dated=dated,
            counts=service.counts(db, principal, today=today, org_id=flt.org_id),
            org_options=org_options(orgs.visible_orgs(db, principal)),
            state_options=[(s.value, label) for s, label in STATE_LABELS.items()],
            risk_options=RISK_OPTIONS,
            can_create=bool(principal.roots(*service.EDIT_ROLES)),
        )

    @get("/{problem_id:int}", name="show_problem", sync_to_thread=True)
    def show_problem(self, request: Request, db: Db, problem_id: FromPath[int]) -> Template:
        principal = _me(request)
        return self._show(request, db, principal, service.visible_problem(db, principal, problem_id))

    def _show(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        problem: Problem,
        *,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
        action: str = "",
        note: str = "",
    ) -> Template:
        org = db.get(Organisation, problem.org_id)
        responsible = db.get(Person, problem.responsible_id) if problem.responsible_id else None
        return page(
            request,
            "problems/show.html",
            title=problem.title,
            nav="problems",
            status=status,
            crumbs=[("问题清单", request.app.route_reverse("list_problems")), (problem.title, None)],
            problem=problem,
            org=org,
            responsible=responsible,
            events=service.history(db, problem),
            today=clock.today(),
            can_edit=service.can_edit(principal, problem),
            actions=service.actions_for(principal, problem),
            errors=errors or {},
            message=message,
            action=action,
            note=note,
        )

    def _form(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        *,
        form: service.ProblemForm,
        problem: Problem | None,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
        latest: Problem | None = None,
    ) -> Template:
        list_url = request.app.route_reverse("list_problems")
        crumbs = (
            [
                ("问题清单", list_url),
                (problem.title, request.app.route_reverse("show_problem", problem_id=problem.id)),
                ("修改", None),
            ]
            if problem
            else [("问题清单", list_url), ("登记问题", None)]
        )
        return page(
            request,
            "problems/form.html",
            title=f"修改：{problem.title}" if problem else "登记问题",
            nav="problems",
            crumbs=crumbs,
            form=form,
            problem=problem,
            errors=errors or {},
            message=message,
            status=status,
            latest=latest,
            org_options=org_options(service.editable_orgs(db, principal)),
            source_options=[(s, s) for s in SOURCES],
            risk_options=RISK_OPTIONS,
            people_options=[(str(p.id), p.name) for p in service.responsible_options(db, principal)],
        )

    @get("/new", name="new_problem_form", sync_to_thread=True)
    def new_problem_form(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        principal = _me(request)
        chosen = service.require_editor_org(db, principal, org)
        form = service.ProblemForm(org_id=str(chosen.id) if chosen else "", found_on=clock.today().isoformat())
        return self._form(request, db, principal, form=form, problem=None)

    @post("/", name="create_problem", sync_to_thread=True)
    def create_problem(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = _me(request)
        form = form_of(service.ProblemForm, data)
        try:
            problem = service.create(db, principal, form, today=clock.today(), address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._form(
                request, db, principal, form=form, problem=None, errors=exc.errors, message=exc.message, status=422
            )
        return redirect(
            request,
            request.app.route_reverse("show_problem", problem_id=problem.id),
            message=f"已登记：{problem.title}",
        )

    @get("/{problem_id:int}/edit", name="edit_problem_form", sync_to_thread=True)
    def edit_problem_form(self, request: Request, db: Db, problem_id: FromPath[int]) -> Template:
        principal = _me(request)
        problem = service.visible_problem(db, principal, problem_id)
        if not service.can_edit(principal, problem):
            raise Forbidden("您不能修改该问题。")
        return self._form(request, db, principal, form=service.ProblemForm.of(problem), problem=problem)

    @post("/{problem_id:int}/edit", name="update_problem", sync_to_thread=True)
    def update_problem(self, request: Request, db: Db, problem_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = _me(request)
        form = form_of(service.ProblemForm, data)
        result = save_edit(
            db,
            form,
            save=lambda: service.update(
                db, principal, problem_id, form, today=clock.today(), address=address_of(request)
            ),
            reload=lambda: service.visible_problem(db, principal, problem_id),
            rerender=lambda obj, **kw: self._form(request, db, principal, form=form, problem=obj, **kw),
        )
        if isinstance(result, Template):
            return result
        return redirect(
            request, request.app.route_reverse("show_problem", problem_id=result.id), message="已保存修改。"
        )

    @post("/{problem_id:int}/transition", name="transition_problem", sync_to_thread=True)
    def transition_problem(
        self, request: Request, db: Db, problem_id: FromPath[int], data: Form
    ) -> Template | Redirect:
        principal = _me(request)
        action, note = str(data.get("action", "")), str(data.get("note", ""))
        try:
            problem = service.transition(
                db,
                principal,
                problem_id,
                action,
                note=note,
                version=str(data.get("version", "")),
                today=clock.today(),
                address=address_of(request),
            )
        except Invalid as exc:
            db.rollback()
            problem = service.visible_problem(db, principal, problem_id)
            return self._show(
                request,
                db,
                principal,
                problem,
                errors=exc.errors,
                message=exc.message,
                status=422,
                action=action,
                note=note,
            )
        except Conflict as exc:
            db.rollback()
            problem = service.visible_problem(db, principal, problem_id)
            return self._show(
                request, db, principal, problem, message=exc.message, status=409, action=action, note=note
            )
        label = service.TRANSITIONS[action].label
        return redirect(
            request,
            request.app.route_reverse("show_problem", problem_id=problem.id),
            message=f"已{label}：{problem.title}",
        )
