"""Training pages: the sessions in scope (and a statistic's drill-down), one session, and the form."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal import clock, inputs
from portal.errors import Invalid
from portal.orgs import service as orgs
from portal.orgs.models import Organisation
from portal.problems.web import org_options
from portal.scope import Principal
from portal.training import service
from portal.training.models import TrainingSession
from portal.web.render import Db, address_of, form_of, page, principal_of, redirect, save_edit

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


def _form(data: dict[str, Any]) -> service.SessionForm:
    form = form_of(service.SessionForm, {k: v for k, v in data.items() if k != "attendees"})
    chosen = data.get("attendees", [])
    form.attendees = [str(v) for v in (chosen if isinstance(chosen, list) else [chosen])]
    return form


class TrainingController(Controller):
    path = "/training"

    @get("/", name="list_training", sync_to_thread=True)
    def list_training(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        """Sessions in scope; with `held_from`/`held_to` (and `org_only`) the sessions a statistic counts."""
        principal, params = _me(request), request.query_params
        flt = service.ListFilter(
            org_id=inputs.id_or_none(org),
            held_from=inputs.day_or_none(params.get("held_from")),
            held_to=inputs.day_or_none(params.get("held_to")),
        )
        flt.only = params.get("org_only") == "1" and flt.org_id is not None
        return page(
            request,
            "training/list.html",
            partial="training/_sessions.html",
            title="培训记录",
            nav="training",
            crumbs=[("培训记录", None)],
            sessions=service.list_sessions(db, principal, flt),
            totals=service.totals(db, principal, flt),
            flt=flt,
            org=org,
            org_options=org_options(orgs.visible_orgs(db, principal)),
            can_create=bool(service.organiser_orgs(db, principal)),
        )

    @get("/{session_id:int}", name="show_training", sync_to_thread=True)
    def show_training(self, request: Request, db: Db, session_id: FromPath[int]) -> Template:
        principal = _me(request)
        found = service.visible_session(db, principal, session_id)
        org = db.get(Organisation, found.org_id)
        people = service.attendees(db, found.id)
        return page(
            request,
            "training/show.html",
            title=f"{found.held_on} {found.topic}",
            nav="training",
            crumbs=[("培训记录", request.app.route_reverse("list_training")), (found.topic, None)],
            session=found,
            org=org,
            attendees=people,
            can_edit=service.can_organise(principal, found.org_path),
        )

    def _form_page(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        *,
        form: service.SessionForm,
        found: TrainingSession | None,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
        latest: TrainingSession | None = None,
    ) -> Template:
        org_id = inputs.id_or_none(form.org_id)
        org = db.get(Organisation, org_id) if org_id is not None else None
        list_url = request.app.route_reverse("list_training")
        return page(
            request,
            "training/form.html",
            title="修改培训记录" if found else "登记培训",
            nav="training",
            crumbs=[("培训记录", list_url), ("修改" if found else "登记培训", None)],
            form=form,
            session=found,
            org=org,
            candidates=service.candidates(db, org) if org is not None else [],
            kinds=service.KINDS,
            errors=errors or {},
            message=message,
            status=status,
            latest=latest,
            org_options=org_options(service.organiser_orgs(db, principal)),
        )

    @get("/new", name="new_training_form", sync_to_thread=True)
    def new_training_form(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        """Choose the organiser first (a GET form, so it works without JavaScript), then its people."""
        principal = _me(request)
        chosen = service.require_organiser(db, principal, org)
        own = service.organiser_orgs(db, principal)
        if chosen is None and len(own) == 1:
            chosen = own[0]
        form = service.SessionForm(org_id=str(chosen.id) if chosen else "", held_on=clock.today().isoformat())
        return self._form_page(request, db, principal, form=form, found=None)

    @post("/", name="create_training", sync_to_thread=True)
    def create_training(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = _me(request)
        form = _form(data)
        try:
            found = service.create_session(db, principal, form, today=clock.today(), address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._form_page(
                request, db, principal, form=form, found=None, errors=exc.errors, message=exc.message, status=422
            )
        return redirect(
            request, request.app.route_reverse("show_training", session_id=found.id), message="已登记培训。"
        )

    @get("/{session_id:int}/edit", name="edit_training_form", sync_to_thread=True)
    def edit_training_form(self, request: Request, db: Db, session_id: FromPath[int]) -> Template:
        principal = _me(request)
        found = service.visible_session(db, principal, session_id)
        service.require_organiser(db, principal, str(found.org_id))
        form = service.SessionForm.of(found, service.attendees(db, found.id))
        return self._form_page(request, db, principal, form=form, found=found)

    @post("/{session_id:int}/edit", name="update_training", sync_to_thread=True)
    def update_training(self, request: Request, db: Db, session_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = _me(request)
        form = _form(data)
        result = save_edit(
            db,
            form,
            save=lambda: service.update_session(
                db, principal, session_id, form, today=clock.today(), address=address_of(request)
            ),
            reload=lambda: service.visible_session(db, principal, session_id),
            rerender=lambda obj, **kw: self._form_page(request, db, principal, form=form, found=obj, **kw),
        )
        if isinstance(result, Template):
            return result
        return redirect(
            request, request.app.route_reverse("show_training", session_id=result.id), message="已保存修改。"
        )
