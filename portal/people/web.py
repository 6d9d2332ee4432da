"""People pages: the list, one person, administrators' forms, and the mediator roster (调解员名册)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from sqlmodel import Session

from portal import clock
from portal.audit import service as audit
from portal.errors import Forbidden, Invalid
from portal.orgs import service as orgs
from portal.people import service
from portal.people.models import ROLE_LABELS, MediatorKind, Person, Role
from portal.scope import Principal
from portal.training import history as training
from portal.web.render import Db, address_of, form_of, int_or_none, page, principal_of, redirect, reveals, save_edit

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
MEDIATOR_KINDS = [(k.value, k.label) for k in MediatorKind]


def _filter(q: str, org: str, role: str, inactive: bool) -> service.PeopleFilter:
    return service.PeopleFilter(
        q=q.strip()[:50],
        org_id=int_or_none(org),
        role=Role(role) if role in Role._value2member_map_ else None,
        include_inactive=inactive,
    )


def _admin_orgs(db: Session, principal: Principal) -> list[tuple[str, str]]:
    return [
        (str(o.id), o.name)
        for o in orgs.visible_orgs(db, principal, include_inactive=False)
        if principal.has_role_over(o.path, Role.ADMIN)
    ]


def _page_links(request: Request, result: service.PeoplePage, params: dict) -> dict:
    return result.links(request.url.path, params)


class PeopleController(Controller):
    path = "/people"

    @get("/", name="list_people", sync_to_thread=True)
    def list_people(
        self,
        request: Request,
        db: Db,
        q: FromQuery[str] = "",
        org: FromQuery[str] = "",
        role: FromQuery[str] = "",
        inactive: FromQuery[bool] = False,
    ) -> Template:
        principal = principal_of(request)
        assert principal is not None
        number = max(1, int_or_none(request.query_params.get("page")) or 1)
        flt = _filter(q, org, role, inactive)
        result = service.list_people(db, principal, flt, page=number, size=request.app.state.settings.page_size)
        params = {"q": flt.q, "org": org, "role": role, **({"inactive": "true"} if inactive else {})}
        return page(
            request,
            "people/list.html",
            partial="people/_table.html",
            title="人员",
            nav="people",
            crumbs=[("人员", None)],
            result=result,
            pager=_page_links(request, result, params),
            flt=flt,
            org=org,
            role=role,
            role_options=list(ROLE_LABELS.items()),
            org_options=[(str(o.id), o.name) for o in orgs.visible_orgs(db, principal)],
        )

    @get("/{person_id:int}", name="show_person", sync_to_thread=True, opt={"writes": reveals})
    def show_person(
        self, request: Request, db: Db, person_id: FromPath[int], reveal: FromQuery[bool] = False
    ) -> Template:
        return self._show(request, db, person_id, reveal=reveal)

    def _show(
        self,
        request: Request,
        db: Db,
        person_id: FromPath[int],
        *,
        reveal: FromQuery[bool] = False,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        principal = principal_of(request)
        assert principal is not None
        person = service.visible_person(db, principal, person_id)
        phone = service.reveal_phone(db, principal, person, address=address_of(request)) if reveal else None
        memberships = service.memberships_of(db, person)
        visible = [(m, o) for m, o in memberships if principal.sees(o.path)]
        context = {"grant_errors": {}, "grant_form": {}, "password_errors": {}, **extra}
        return page(
            request,
            "people/show.html",
            title=person.name,
            nav="people",
            status=status,
            crumbs=[("人员", request.app.route_reverse("list_people")), (person.name, None)],
            person=person,
            phone=phone,
            person_roles=visible,
            hidden_count=len(memberships) - len(visible),
            can_manage=service.can_manage(db, principal, person),
            can_reveal=person.id == principal.person.id
            or any(principal.can_see_personal_data(o.path) for _, o in memberships),
            admin_orgs=_admin_orgs(db, principal),
            role_options=list(ROLE_LABELS.items()),
            kind_options=MEDIATOR_KINDS,
            **context,
        )

    def _form(
        self,
        request: Request,
        db: Db,
        principal: Principal,
        *,
        form: service.PersonForm,
        person: Person | None,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
        latest: Person | None = None,
    ) -> Template:
        crumbs: list[tuple[str, str | None]] = [("人员", request.app.route_reverse("list_people"))]
        if person:
            crumbs += [(person.name, request.app.route_reverse("show_person", person_id=person.id)), ("修改", None)]
        else:
            crumbs.append(("新建", None))
        return page(
            request,
            "people/form.html",
            title=f"修改：{person.name}" if person else "新建人员",
            nav="people",
            crumbs=crumbs,
            form=form,
            person=person,
            errors=errors or {},
            message=message,
            status=status,
            latest=latest,
            admin_orgs=_admin_orgs(db, principal),
            role_options=list(ROLE_LABELS.items()),
            kind_options=MEDIATOR_KINDS,
        )

    @get("/new", name="new_person_form", sync_to_thread=True)
    def new_person_form(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        principal = principal_of(request)
        assert principal is not None
        if not principal.can_admin:
            raise Forbidden("只有管理员可以新建人员。")
        if (org_id := int_or_none(org)) is not None:
            principal.require_admin_over(principal.visible_org(db, org_id))
        return self._form(request, db, principal, form=service.PersonForm(org_id=org), person=None)

    @post("/", name="create_person", sync_to_thread=True)
    def create_person(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = principal_of(request)
        assert principal is not None
        form = form_of(service.PersonForm, data)
        try:
            person = service.create_person(db, principal, form, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            form.password = ""
            return self._form(
                request, db, principal, form=form, person=None, errors=exc.errors, message=exc.message, status=422
            )
        return redirect(
            request, request.app.route_reverse("show_person", person_id=person.id), message=f"已新建人员：{person.name}"
        )

    @get("/{person_id:int}/edit", name="edit_person_form", sync_to_thread=True)
    def edit_person_form(self, request: Request, db: Db, person_id: FromPath[int]) -> Template:
        principal = principal_of(request)
        assert principal is not None
        person = service.visible_person(db, principal, person_id)
        service.require_manage(db, principal, person)
        return self._form(request, db, principal, form=service.PersonForm.of(person), person=person)

    @post("/{person_id:int}/edit", name="update_person", sync_to_thread=True)
    def update_person(self, request: Request, db: Db, person_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = principal_of(request)
        assert principal is not None
        form = form_of(service.PersonForm, data)
        result = save_edit(
            db,
            form,
            save=lambda: service.update_person(db, principal, person_id, form, address=address_of(request)),
            reload=lambda: service.visible_person(db, principal, person_id),
            rerender=lambda obj, **kw: self._form(request, db, principal, form=form, person=obj, **kw),
        )
        if isinstance(result, Template):
            return result
        return redirect(request, request.app.route_reverse("show_person", person_id=result.id), message="已保存修改。")

    @post("/{person_id:int}/memberships", name="add_membership", sync_to_thread=True)
    def add_membership(self, request: Request, db: Db, person_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = principal_of(request)
        assert principal is not None
        fields = {k: str(data.get(k, "")) for k in ("org_id", "role", "mediator_kind", "specialities")}
        try:
            service.add_membership(db, principal, person_id, address=address_of(request), **fields)
        except Invalid as exc:
            db.rollback()
            return self._show(request, db, person_id, status=422, grant_errors=exc.errors, grant_form=fields)
        return redirect(request, request.app.route_reverse("show_person", person_id=person_id), message="已授予角色。")

    @post("/{person_id:int}/memberships/{membership_id:int}/delete", name="remove_membership", sync_to_thread=True)
    def remove_membership(
        self, request: Request, db: Db, person_id: FromPath[int], membership_id: FromPath[int]
    ) -> Redirect:
        principal = principal_of(request)
        assert principal is not None
        service.remove_membership(db, principal, person_id, membership_id, address=address_of(request))
        return redirect(request, request.app.route_reverse("show_person", person_id=person_id), message="已撤销角色。")

    @post("/{person_id:int}/deactivate", name="deactivate_person", sync_to_thread=True)
    def deactivate_person(self, request: Request, db: Db, person_id: FromPath[int], data: Form) -> Redirect:
        return self._set_active(request, db, person_id, data, active=False)

    @post("/{person_id:int}/activate", name="activate_person", sync_to_thread=True)
    def activate_person(self, request: Request, db: Db, person_id: FromPath[int], data: Form) -> Redirect:
        return self._set_active(request, db, person_id, data, active=True)

    def _set_active(self, request: Request, db: Db, person_id: FromPath[int], data: dict, *, active: bool) -> Redirect:
        principal = principal_of(request)
        assert principal is not None
        person = service.set_active(
            db, principal, person_id, active, version=str(data.get("version", "")), address=address_of(request)
        )
        return redirect(
            request,
            request.app.route_reverse("show_person", person_id=person.id),
            message=("已启用账户：" if active else "已停用账户：") + person.name,
        )

    @post("/{person_id:int}/password", name="reset_password", sync_to_thread=True)
    def reset_password(self, request: Request, db: Db, person_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = principal_of(request)
        assert principal is not None
        try:
            person = service.reset_password(
                db, principal, person_id, str(data.get("password", "")), address=address_of(request)
            )
        except Invalid as exc:
            db.rollback()
            return self._show(request, db, person_id, status=422, password_errors=exc.errors)
        return redirect(
            request,
            request.app.route_reverse("show_person", person_id=person.id),
            message=f"已重置 {person.name} 的密码，其所有登录已退出。",
        )


ROSTER_HEADER = ["姓名", "角色", "类别", "所在机构", "专长", "联系电话"]


class RosterController(Controller):
    """调解员名册: mediators and committee directors of an organisation, or of its whole subtree."""

    path = "/roster"

    def _rows(self, db: Session, principal: Principal, org: str, subtree: bool) -> tuple[Any, list]:
        org_id = int_or_none(org)
        chosen = principal.visible_org(db, org_id) if org_id is not None else None
        flt = service.PeopleFilter(org_id=chosen.id if chosen else None)
        result = service.list_people(db, principal, flt, page=1, size=5000, roles_in=service.ROSTER_ROLES)
        rows = []
        for person, grants in result.rows:
            for membership, where in grants:
                if chosen and not subtree and where.id != chosen.id:
                    continue
                rows.append((person, membership, where))
        return chosen, rows

    @get("/", name="roster", sync_to_thread=True)
    def roster(self, request: Request, db: Db, org: FromQuery[str] = "", subtree: FromQuery[bool] = True) -> Template:
        principal = principal_of(request)
        assert principal is not None
        chosen, rows = self._rows(db, principal, org, subtree)
        return page(
            request,
            "people/roster.html",
            partial="people/_roster_table.html",
            title="调解员名册",
            nav="roster",
            crumbs=[("调解员名册", None)],
            chosen=chosen,
            rows=rows,
            trained=training.histories(db, list({p.id for p, _, _ in rows}), year=clock.today().year),
            org=org,
            subtree=subtree,
            org_options=[(str(o.id), "　" * o.depth + o.name) for o in orgs.visible_orgs(db, principal)],
            csv_url=(
                f"{request.app.route_reverse('roster_csv')}?{urlencode({'org': org, 'subtree': str(subtree).lower()})}"
            ),
        )

    @get("/export.csv", name="roster_csv", sync_to_thread=True, opt={"writes": True})
    def roster_csv(
        self, request: Request, db: Db, org: FromQuery[str] = "", subtree: FromQuery[bool] = True
    ) -> Response:
        """The roster as CSV (phones masked); every export is audited."""
        principal = principal_of(request)
        assert principal is not None
        chosen, rows = self._rows(db, principal, org, subtree)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(ROSTER_HEADER)
        for person, membership, where in rows:
            writer.writerow(
                [
                    person.name,
                    membership.role.label,
                    membership.mediator_kind.label if membership.mediator_kind else "",
                    where.name,
                    membership.specialities,
                    service.mask_phone(person.phone),
                ]
            )
        audit.record(
            db,
            "export.roster",
            actor=principal.person,
            org=chosen or (principal.grants[0].org if principal.grants else None),
            object_type="organisation",
            object_id=chosen.id if chosen else "",
            summary=f"导出调解员名册：{chosen.name if chosen else '全部可见机构'}（{len(rows)} 条）",
            address=address_of(request),
        )
        return Response(
            content="\ufeff" + buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": "attachment; filename*=UTF-8''roster.csv", "Cache-Control": "no-store"},
        )
