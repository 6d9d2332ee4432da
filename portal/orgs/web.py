"""Organisation pages: the tree, one organisation, and the administrators' forms."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import service, supervision
from portal.orgs.models import KIND_LABELS, TIER_LABELS, Organisation, Tier
from portal.people import service as people
from portal.people.models import Role
from portal.scope import Principal
from portal.web.render import Db, address_of, form_of, page, principal_of, redirect, save_edit

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def org_crumbs(
    db: Session, principal: Principal, org: Organisation, *tail: tuple[str, str | None], request: Request
) -> list:
    crumbs: list[tuple[str, str | None]] = [("组织机构", request.app.route_reverse("list_orgs"))]
    for ancestor in service.visible_ancestors(db, principal, org):
        crumbs.append((ancestor.name, request.app.route_reverse("show_org", org_id=ancestor.id)))
    crumbs.append((org.name, request.app.route_reverse("show_org", org_id=org.id) if tail else None))
    return crumbs + list(tail)


def _choices(principal: Principal, db: Session) -> dict:
    parents = [
        o
        for o in service.visible_orgs(db, principal, include_inactive=False)
        if principal.has_role_over(o.path, Role.ADMIN)
    ]
    return {
        "tier_options": list(TIER_LABELS.items()),
        "kind_options": list(KIND_LABELS.items()),
        "parent_options": [
            (str(o.id), "　" * (o.depth - parents[0].depth if parents else 0) + o.name) for o in parents
        ],
    }


class OrgController(Controller):
    path = "/orgs"

    @get("/", name="list_orgs", sync_to_thread=True)
    def list_orgs(
        self,
        request: Request,
        db: Db,
        q: FromQuery[str] = "",
        tier: FromQuery[str] = "",
        inactive: FromQuery[bool] = False,
    ) -> Template:
        """The tree of organisations in scope; with a query, the matching ones as a flat list."""
        principal = principal_of(request)
        assert principal is not None
        tier_value = Tier(tier) if tier in Tier._value2member_map_ else None
        q = q.strip()[:50]
        found = service.visible_orgs(db, principal, include_inactive=inactive, q=q, tier=tier_value)
        filtered = bool(q or tier_value)
        return page(
            request,
            "orgs/list.html",
            partial="orgs/_tree.html",
            title="组织机构",
            nav="orgs",
            crumbs=[("组织机构", None)],
            tree=[] if filtered else service.build_tree(found),
            matches=found if filtered else [],
            filtered=filtered,
            q=q,
            tier=tier_value.value if tier_value else "",
            inactive=inactive,
            tier_options=list(TIER_LABELS.items()),
            supervising=supervision.tree_labels(db, principal),
        )

    @get("/{org_id:int}", name="show_org", sync_to_thread=True)
    def show_org(self, request: Request, db: Db, org_id: FromPath[int]) -> Template:
        principal = principal_of(request)
        assert principal is not None
        org = principal.visible_org(db, org_id)
        members = people.list_people(
            db, principal, people.PeopleFilter(org_id=org.id, include_inactive=True), page=1, size=500
        )
        here = [(p, [(m, o) for m, o in grants if o.id == org.id]) for p, grants in members.rows]
        return page(
            request,
            "orgs/show.html",
            title=org.name,
            nav="orgs",
            crumbs=org_crumbs(db, principal, org, request=request),
            org=org,
            children=service.children(db, principal, org),
            counts=service.descendant_counts(db, org),
            people_here=[(p, g) for p, g in here if g],
            can_admin=principal.has_role_over(org.path, Role.ADMIN),
            supervised=supervision.supervised_by(db, principal, org),
            supervisors=supervision.supervisors_of(db, principal, org),
            supervision_choices=supervision.candidates(db, principal, org),
        )

    @post("/{org_id:int}/supervision", name="add_supervision", sync_to_thread=True)
    def add_supervision(self, request: Request, db: Db, org_id: FromPath[int], data: Form) -> Redirect:
        """An administrator gives the organisation one more subtree to supervise (督导)."""
        principal = principal_of(request)
        assert principal is not None
        url = request.app.route_reverse("show_org", org_id=org_id) + "#supervision"
        try:
            target = supervision.add(
                db, principal, org_id, str(data.get("supervised_id", "")), address=address_of(request)
            )
        except (Invalid, Conflict) as exc:
            message = "；".join(exc.errors.values()) if isinstance(exc, Invalid) else exc.message
            return redirect(request, url, message=message, level="error")
        return redirect(request, url, message=f"已设定督导关系：本机构的督导可以查看“{target.name}”及其下级。")

    @post("/{org_id:int}/supervision/{supervision_id:int}/delete", name="remove_supervision", sync_to_thread=True)
    def remove_supervision(
        self, request: Request, db: Db, org_id: FromPath[int], supervision_id: FromPath[int]
    ) -> Redirect:
        principal = principal_of(request)
        assert principal is not None
        target = supervision.remove(db, principal, org_id, supervision_id, address=address_of(request))
        url = request.app.route_reverse("show_org", org_id=org_id) + "#supervision"
        return redirect(request, url, message=f"已解除对“{target.name}”的督导关系。")

    @get("/{org_id:int}/children", name="org_children", sync_to_thread=True)
    def org_children(self, request: Request, db: Db, org_id: FromPath[int]) -> Template:
        """The organisation's direct children: a fragment for htmx, a small page without it."""
        principal = principal_of(request)
        assert principal is not None
        org = principal.visible_org(db, org_id)
        return page(
            request,
            "orgs/children.html",
            partial="orgs/_children.html",
            title=f"{org.name}的下级机构",
            nav="orgs",
            crumbs=org_crumbs(db, principal, org, ("下级机构", None), request=request),
            org=org,
            children=service.children(db, principal, org),
        )

    def _form(
        self,
        request: Request,
        db: Db,
        principal: Principal,
        *,
        form: service.OrgForm,
        org: Organisation | None,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
        latest: Organisation | None = None,
    ) -> Template:
        title = f"修改：{org.name}" if org else "新建组织机构"
        crumbs = (
            org_crumbs(db, principal, org, ("修改", None), request=request)
            if org
            else [("组织机构", request.app.route_reverse("list_orgs")), ("新建", None)]
        )
        return page(
            request,
            "orgs/form.html",
            title=title,
            nav="orgs",
            crumbs=crumbs,
            form=form,
            org=org,
            errors=errors or {},
            message=message,
            status=status,
            latest=latest,
            **_choices(principal, db),
        )

    @get("/new", name="new_org_form", sync_to_thread=True)
    def new_org_form(self, request: Request, db: Db, parent: FromQuery[int | None] = None) -> Template:
        principal = principal_of(request)
        assert principal is not None
        form = service.OrgForm()
        if parent is not None:
            parent_org = principal.visible_org(db, parent)
            principal.require_admin_over(parent_org)
            child_tier = service.TIER_ORDER[
                min(service.TIER_ORDER.index(parent_org.tier) + 1, len(service.TIER_ORDER) - 1)
            ]
            form = service.OrgForm(parent_id=str(parent), tier=child_tier.value, kind="committee")
        elif not principal.can_admin:
            raise Forbidden("只有管理员可以新建组织机构。")
        return self._form(request, db, principal, form=form, org=None)

    @post("/", name="create_org", sync_to_thread=True)
    def create_org(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = principal_of(request)
        assert principal is not None
        form = form_of(service.OrgForm, data)
        try:
            org = service.create(db, principal, form, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._form(
                request, db, principal, form=form, org=None, errors=exc.errors, message=exc.message, status=422
            )
        return redirect(request, request.app.route_reverse("show_org", org_id=org.id), message=f"已新建：{org.name}")

    @get("/{org_id:int}/edit", name="edit_org_form", sync_to_thread=True)
    def edit_org_form(self, request: Request, db: Db, org_id: FromPath[int]) -> Template:
        principal = principal_of(request)
        assert principal is not None
        org = principal.visible_org(db, org_id)
        principal.require_admin_over(org)
        return self._form(request, db, principal, form=service.OrgForm.of(org), org=org)

    @post("/{org_id:int}/edit", name="update_org", sync_to_thread=True)
    def update_org(self, request: Request, db: Db, org_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = principal_of(request)
        assert principal is not None
        form = form_of(service.OrgForm, data)
        result = save_edit(
            db,
            form,
            save=lambda: service.update_org(db, principal, org_id, form, address=address_of(request)),
            reload=lambda: principal.visible_org(db, org_id),
            rerender=lambda obj, **kw: self._form(request, db, principal, form=form, org=obj, **kw),
        )
        if isinstance(result, Template):
            return result
        return redirect(request, request.app.route_reverse("show_org", org_id=result.id), message="已保存修改。")

    @post("/{org_id:int}/deactivate", name="deactivate_org", sync_to_thread=True)
    def deactivate_org(self, request: Request, db: Db, org_id: FromPath[int], data: Form) -> Redirect:
        return self._set_active(request, db, org_id, data, active=False)

    @post("/{org_id:int}/activate", name="activate_org", sync_to_thread=True)
    def activate_org(self, request: Request, db: Db, org_id: FromPath[int], data: Form) -> Redirect:
        return self._set_active(request, db, org_id, data, active=True)

    def _set_active(self, request: Request, db: Db, org_id: FromPath[int], data: dict, *, active: bool) -> Redirect:
        principal = principal_of(request)
        assert principal is not None
        org = service.set_active(
            db, principal, org_id, active, version=str(data.get("version", "")), address=address_of(request)
        )
        return redirect(
            request,
            request.app.route_reverse("show_org", org_id=org.id),
            message=("已启用：" if active else "已停用：") + org.name,
        )
