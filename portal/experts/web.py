"""Expert pool pages: the list with a field filter, one expert, and the managers' forms."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal.errors import Forbidden, Invalid
from portal.experts import service
from portal.experts.models import EXPERT_FIELDS, Expert
from portal.orgs import service as orgs
from portal.orgs.models import Organisation
from portal.problems.web import org_options
from portal.scope import Principal
from portal.web.render import Db, address_of, form_of, int_or_none, page, principal_of, redirect, save_edit

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


class ExpertController(Controller):
    path = "/experts"

    @get("/", name="list_experts", sync_to_thread=True)
    def list_experts(
        self,
        request: Request,
        db: Db,
        field: FromQuery[str] = "",
        org: FromQuery[str] = "",
        q: FromQuery[str] = "",
        inactive: FromQuery[bool] = False,
    ) -> Template:
        principal = _me(request)
        field = field if field in EXPERT_FIELDS else ""
        q = q.strip()[:50]
        rows = service.list_experts(db, principal, field=field, org_id=int_or_none(org), include_inactive=inactive, q=q)
        return page(
            request,
            "experts/list.html",
            partial="experts/_table.html",
            title="专家库",
            nav="experts",
            crumbs=[("专家库", None)],
            rows=rows,
            field=field,
            org=org,
            q=q,
            inactive=inactive,
            field_options=[(f, f) for f in EXPERT_FIELDS],
            org_options=org_options(orgs.visible_orgs(db, principal)),
            can_create=bool(principal.roots(*service.MANAGE_ROLES)),
        )

    @get("/{expert_id:int}", name="show_expert", sync_to_thread=True)
    def show_expert(self, request: Request, db: Db, expert_id: FromPath[int]) -> Template:
        principal = _me(request)
        expert = service.visible_expert(db, principal, expert_id)
        return page(
            request,
            "experts/show.html",
            title=expert.name,
            nav="experts",
            crumbs=[("专家库", request.app.route_reverse("list_experts")), (expert.name, None)],
            expert=expert,
            org=db.get(Organisation, expert.org_id),
            can_manage=service.can_manage(principal, expert),
        )

    def _form(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        *,
        form: service.ExpertForm,
        expert: Expert | None,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
        latest: Expert | None = None,
    ) -> Template:
        list_url = request.app.route_reverse("list_experts")
        crumbs = (
            [
                ("专家库", list_url),
                (expert.name, request.app.route_reverse("show_expert", expert_id=expert.id)),
                ("修改", None),
            ]
            if expert
            else [("专家库", list_url), ("新增专家", None)]
        )
        return page(
            request,
            "experts/form.html",
            title=f"修改：{expert.name}" if expert else "新增专家",
            nav="experts",
            crumbs=crumbs,
            form=form,
            expert=expert,
            errors=errors or {},
            message=message,
            status=status,
            latest=latest,
            org_options=org_options(service.managed_orgs(db, principal)),
            field_options=[(f, f) for f in EXPERT_FIELDS],
        )

    @get("/new", name="new_expert_form", sync_to_thread=True)
    def new_expert_form(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        principal = _me(request)
        chosen = service.require_manager_org(db, principal, org)
        return self._form(
            request, db, principal, form=service.ExpertForm(org_id=str(chosen.id) if chosen else ""), expert=None
        )

    @post("/", name="create_expert", sync_to_thread=True)
    def create_expert(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = _me(request)
        form = form_of(service.ExpertForm, data)
        try:
            expert = service.create(db, principal, form, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._form(
                request, db, principal, form=form, expert=None, errors=exc.errors, message=exc.message, status=422
            )
        return redirect(
            request, request.app.route_reverse("show_expert", expert_id=expert.id), message=f"已新增专家：{expert.name}"
        )

    @get("/{expert_id:int}/edit", name="edit_expert_form", sync_to_thread=True)
    def edit_expert_form(self, request: Request, db: Db, expert_id: FromPath[int]) -> Template:
        principal = _me(request)
        expert = service.visible_expert(db, principal, expert_id)
        if not service.can_manage(principal, expert):
            raise Forbidden("只有本级或上级的管理员和调委会主任可以管理专家库。")
        return self._form(request, db, principal, form=service.ExpertForm.of(expert), expert=expert)

    @post("/{expert_id:int}/edit", name="update_expert", sync_to_thread=True)
    def update_expert(self, request: Request, db: Db, expert_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = _me(request)
        form = form_of(service.ExpertForm, data)
        result = save_edit(
            db,
            form,
            save=lambda: service.update(db, principal, expert_id, form, address=address_of(request)),
            reload=lambda: service.visible_expert(db, principal, expert_id),
            rerender=lambda obj, **kw: self._form(request, db, principal, form=form, expert=obj, **kw),
        )
        if isinstance(result, Template):
            return result
        return redirect(request, request.app.route_reverse("show_expert", expert_id=result.id), message="已保存修改。")

    @post("/{expert_id:int}/deactivate", name="deactivate_expert", sync_to_thread=True)
    def deactivate_expert(self, request: Request, db: Db, expert_id: FromPath[int], data: Form) -> Redirect:
        return self._set_active(request, db, expert_id, data, active=False)

    @post("/{expert_id:int}/activate", name="activate_expert", sync_to_thread=True)
    def activate_expert(self, request: Request, db: Db, expert_id: FromPath[int], data: Form) -> Redirect:
        return self._set_active(request, db, expert_id, data, active=True)

    def _set_active(self, request: Request, db: Session, expert_id: int, data: dict, *, active: bool) -> Redirect:
        expert = service.set_active(
            db, _me(request), expert_id, active, version=str(data.get("version", "")), address=address_of(request)
        )
        return redirect(
            request,
            request.app.route_reverse("show_expert", expert_id=expert.id),
            message=("已启用：" if active else "已停用：") + expert.name,
        )
