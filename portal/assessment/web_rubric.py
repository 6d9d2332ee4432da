"""考核细则 pages: a new rubric, one rubric with its items, months and the compute form."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlmodel import select

from portal import clock
from portal.assessment import rubric as rubrics
from portal.assessment import service, streaks
from portal.assessment.models import MODE_LABELS, Assessment
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import service as orgs
from portal.orgs.models import Organisation
from portal.problems.web import org_options
from portal.scope import Principal
from portal.stats.web import basis_of
from portal.web.render import Db, address_of, form_of, page, principal_of, redirect, settings_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _to(request: Request, name: str, **params: int) -> str:
    return request.app.route_reverse(name, **params)


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


class RubricController(Controller):
    path = "/assessment/rubrics"

    def _new(
        self,
        request: Request,
        db: Db,
        form: rubrics.RubricForm,
        *,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
    ) -> Template:
        principal = _me(request)
        return page(
            request,
            "assessment/rubric_form.html",
            title="制定考核细则",
            nav="assessment",
            status=status,
            crumbs=[("考核", _to(request, "list_assessments")), ("制定考核细则", None)],
            form=form,
            errors=errors or {},
            message=message,
            owner_options=org_options(rubrics.owner_options(db, principal)),
            assessed_options=org_options(orgs.visible_orgs(db, principal, include_inactive=False)),
        )

    @get("/new", name="new_rubric_form", sync_to_thread=True)
    def new_rubric_form(self, request: Request, db: Db) -> Template:
        if not rubrics.owner_options(db, _me(request)):
            raise Forbidden("只有管理员可以制定考核细则。")
        return self._new(request, db, rubrics.RubricForm())

    @post("/", name="create_rubric", sync_to_thread=True)
    def create_rubric(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        form = form_of(rubrics.RubricForm, data)
        try:
            found = rubrics.save_rubric(db, _me(request), form, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._new(request, db, form, errors=exc.errors, message=exc.message, status=422)
        return redirect(
            request,
            _to(request, "show_rubric", rubric_id=found.id),
            message="已建立考核细则，请添加考核项目。",
        )

    def _show(
        self,
        request: Request,
        db: Db,
        rubric_id: int,
        *,
        errors: dict | None = None,
        item_form: rubrics.ItemForm | None = None,
        rubric_form: rubrics.RubricForm | None = None,
        compute_form: dict | None = None,
        message: str | None = None,
        status: int = 200,
    ) -> Template:
        principal = _me(request)
        found = rubrics.get_rubric(db, principal, rubric_id)
        owner = rubrics.owner_of(db, found)
        items = rubrics.items(db, found.id)
        runs = db.exec(
            select(Assessment)
            .where(Assessment.rubric_id == found.id)
            .order_by(Assessment.month.desc(), Assessment.revision.desc())
        ).all()
        n = settings_of(request).assess_last_months
        return page(
            request,
            "assessment/rubric.html",
            title=found.name,
            nav="assessment",
            status=status,
            crumbs=[("考核", _to(request, "list_assessments")), (found.name, None)],
            rubric=found,
            owner=owner,
            assessed=db.get(Organisation, found.assessed_id),
            bodies=rubrics.assessed_bodies(db, found),
            items=items,
            weight=sum((i.weight for i in items), start=0),
            runs=runs,
            streaks=streaks.running(db, found.id, n),
            months=n,
            can_edit=rubrics.can_edit(principal, owner),
            errors=errors or {},
            message=message,
            item_form=item_form or rubrics.ItemForm(),
            rubric_form=rubric_form
            or rubrics.RubricForm(
                name=found.name,
                org_id=str(found.org_id),
                assessed_id=str(found.assessed_id),
                grades=found.grades,
                below=found.below,
                version=str(found.version),
            ),
            compute_form=compute_form or {"month": clock.today().isoformat()[:7], "reason": ""},
            modes=list(MODE_LABELS.items()),
            indicator_options=rubrics.indicator_options(),
            assessed_options=org_options(orgs.visible_orgs(db, principal, include_inactive=False)),
        )

    @get("/{rubric_id:int}", name="show_rubric", sync_to_thread=True)
    def show_rubric(self, request: Request, db: Db, rubric_id: FromPath[int]) -> Template:
        return self._show(request, db, rubric_id)

    @post("/{rubric_id:int}/edit", name="update_rubric", sync_to_thread=True)
    def update_rubric(self, request: Request, db: Db, rubric_id: FromPath[int], data: Form) -> Template | Redirect:
        form = form_of(rubrics.RubricForm, data)
        show = _to(request, "show_rubric", rubric_id=rubric_id)
        try:
            rubrics.save_rubric(db, _me(request), form, rubric_id, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._show(
                request, db, rubric_id, errors=exc.errors, rubric_form=form, message=exc.message, status=422
            )
        except Conflict as exc:
            db.rollback()
            return redirect(request, show, message=exc.message, level="warning")
        return redirect(request, show, message="已保存考核细则。")

    @post("/{rubric_id:int}/items", name="add_rubric_item", sync_to_thread=True)
    def add_rubric_item(self, request: Request, db: Db, rubric_id: FromPath[int], data: Form) -> Template | Redirect:
        form = form_of(rubrics.ItemForm, data)
        try:
            rubrics.add_item(db, _me(request), rubric_id, form, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._show(
                request, db, rubric_id, errors=exc.errors, item_form=form, message=exc.message, status=422
            )
        return redirect(
            request,
            _to(request, "show_rubric", rubric_id=rubric_id) + "#items",
            message="已添加考核项目。",
        )

    @post("/{rubric_id:int}/items/{item_id:int}/delete", name="remove_rubric_item", sync_to_thread=True)
    def remove_rubric_item(
        self, request: Request, db: Db, rubric_id: FromPath[int], item_id: FromPath[int]
    ) -> Redirect:
        show = _to(request, "show_rubric", rubric_id=rubric_id) + "#items"
        try:
            rubrics.remove_item(db, _me(request), rubric_id, item_id, address=address_of(request))
        except Conflict as exc:
            db.rollback()
            return redirect(request, show, message=exc.message, level="warning")
        return redirect(request, show, message="已删除考核项目（已发布的考核结果不受影响）。")

    @post("/{rubric_id:int}/compute", name="compute_assessment", sync_to_thread=True)
    def compute_assessment(self, request: Request, db: Db, rubric_id: FromPath[int], data: Form) -> Template | Redirect:
        month, reason = str(data.get("month", "")), str(data.get("reason", ""))
        try:
            run = service.compute(
                db, _me(request), rubric_id, month, reason=reason, basis=basis_of(request), address=address_of(request)
            )
        except Invalid as exc:
            db.rollback()
            return self._show(
                request,
                db,
                rubric_id,
                errors=exc.errors,
                message=exc.message,
                status=422,
                compute_form={"month": month, "reason": reason},
            )
        except Conflict as exc:
            db.rollback()
            return redirect(
                request,
                _to(request, "show_rubric", rubric_id=rubric_id),
                message=exc.message,
                level="warning",
            )
        return redirect(
            request,
            _to(request, "show_assessment", run_id=run.id),
            message="已计算考核得分，请核对后调整或发布。",
        )
