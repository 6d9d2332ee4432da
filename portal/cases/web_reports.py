"""The quick report's pages (上报纠纷 · 随手拍) and the per-unit setting of where its reports go."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal.cases import reports
from portal.cases.models import ReportRoute
from portal.cases.web import Form, case_url, me
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import ordering
from portal.orgs import service as orgs
from portal.orgs.models import Organisation
from portal.scope import Principal
from portal.web.render import Db, address_of, form_of, page, redirect, settings_of

Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def photos_of(data: dict[str, Any]) -> list[reports.Photo]:
    """The chosen photos; empty file inputs (a slot left unused) are skipped."""
    posted = data.get("photos", [])
    posted = posted if isinstance(posted, list) else [posted]
    out = []
    for upload in posted:
        if isinstance(upload, UploadFile) and upload.filename:
            content = upload.file.read()
            if content:
                out.append(reports.Photo(upload.filename, content))
    return out


class ReportController(Controller):
    path = "/"

    def _form(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        form: reports.ReportForm,
        *,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
    ) -> Template:
        units = reports.units(principal)
        if not units:
            raise Forbidden("只有受理员、调解员（含网格员）和调委会主任可以上报纠纷。")
        common, others = reports.type_choices(db)
        routes = {str(u.id): reports.target_of(db, u) for u in units}
        return page(
            request,
            "reports/form.html",
            title="上报纠纷",
            nav="workspace",
            crumbs=[("工作台", request.app.route_reverse("workspace")), ("上报纠纷", None)],
            status=status,
            form=form,
            errors=errors or {},
            message=message,
            units=units,
            unit_options=[(str(u.id), u.name) for u in units],
            routes=routes,
            common_types=common,
            other_types=others,
            max_photos=reports.MAX_PHOTOS,
            upload_max_mb=settings_of(request).upload_max_mb,
        )

    @get("/report", name="report_form", sync_to_thread=True)
    def report_form(self, request: Request, db: Db) -> Template:
        principal = me(request)
        units = reports.units(principal)
        form = reports.ReportForm(org_id=str(units[0].id) if units else "")
        return self._form(request, db, principal, form)

    @post("/report", name="submit_report", sync_to_thread=True)
    def submit_report(self, request: Request, db: Db, data: Multipart) -> Template | Redirect:
        principal = me(request)
        form = form_of(reports.ReportForm, data)
        photos = photos_of(data)
        settings = settings_of(request)
        try:
            case, sent = reports.submit(
                db,
                principal,
                form,
                photos,
                root=settings.uploads_dir,
                max_bytes=settings.upload_max_mb * 1048576,
                answer_days=settings.transfer_answer_days,
                address=address_of(request),
            )
        except Invalid as exc:
            db.rollback()
            note = "；照片需重新选择" if photos else ""
            return self._form(request, db, principal, form, errors=exc.errors, message=exc.message + note, status=422)
        receiver = db.get(Organisation, sent.to_org_id) if sent else None
        if sent is None:
            message = f"已登记 {case.number}，由本机构办理。"
        elif sent.sent_at is not None:
            message = f"已上报 {case.number}，已送 {receiver.name} 接收。"
        else:
            signer = db.get(Organisation, sent.signer_org_id)
            message = f"已登记 {case.number}，上报函待 {signer.name} 负责人审签后送 {receiver.name}。"
        return redirect(request, case_url(request, case.id), message=message)

    @get("/orgs/{org_id:int}/report-route", name="report_route_form", sync_to_thread=True)
    def report_route_form(self, request: Request, db: Db, org_id: FromPath[int]) -> Template:
        principal = me(request)
        unit = principal.visible_org(db, org_id)
        principal.require_admin_over(unit)
        return self._route(request, db, principal, unit)

    @post("/orgs/{org_id:int}/report-route", name="set_report_route", sync_to_thread=True)
    def set_report_route(self, request: Request, db: Db, org_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = me(request)
        to, version = str(data.get("to", "")), str(data.get("version", ""))
        try:
            reports.set_route(db, principal, org_id, to=to, version=version, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            unit = principal.visible_org(db, org_id)
            return self._route(request, db, principal, unit, chosen=to, errors=exc.errors, status=422)
        except Conflict as exc:
            db.rollback()
            unit = principal.visible_org(db, org_id)
            return self._route(request, db, principal, unit, chosen=to, message=exc.message, status=409)
        url = request.app.route_reverse("show_org", org_id=org_id)
        return redirect(request, url, message="已保存随手拍上报去向。")

    def _route(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        unit: Organisation,
        *,
        chosen: str | None = None,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
    ) -> Template:
        route = db.get(ReportRoute, unit.id)
        current = "self" if route and route.keep else str(route.to_org_id) if route and route.to_org_id else ""
        tree = [o for o in orgs.visible_orgs(db, principal, include_inactive=False) if o.id != unit.id]
        default = reports.default_target(db, unit)
        return page(
            request,
            "reports/route.html",
            title=f"随手拍上报去向：{unit.name}",
            nav="orgs",
            crumbs=[
                ("组织机构", request.app.route_reverse("list_orgs")),
                (unit.name, request.app.route_reverse("show_org", org_id=unit.id)),
                ("随手拍上报去向", None),
            ],
            status=status,
            unit=unit,
            version=route.version if route else 0,
            chosen=current if chosen is None else chosen,
            target=reports.target_of(db, unit),
            default=default,
            options=[
                ("", f"默认：{default.name if default else '本机构自行办理'}"),
                ("self", "本机构自行办理（不上报）"),
                *ordering.near_first(tree, unit),
            ],
            errors=errors or {},
            message=message,
        )
