"""考核 results: the list (with the bodies ranked last months running), one month's result, adjust, publish, and
the Excel and PDF of what the viewer may read."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from portal.assessment import export, service, streaks, views
from portal.assessment import rubric as rubrics
from portal.audit import service as audit
from portal.errors import Conflict, Invalid
from portal.orgs.models import Organisation
from portal.scope import Principal
from portal.stats.web import XLSX
from portal.web.render import Db, address_of, form_of, page, principal_of, redirect, settings_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


class AssessmentController(Controller):
    path = "/assessment"

    @get("/", name="list_assessments", sync_to_thread=True)
    def list_assessments(self, request: Request, db: Db) -> Template:
        principal = _me(request)
        n = settings_of(request).assess_last_months
        managed = rubrics.managed_rubrics(db, principal)
        listed = views.listing(db, principal)
        # The bodies ranked last N months running, of every rubric whose results the viewer reads.
        seen_rubrics = {r.id: r.name for r, _, _ in managed} | {x.run.rubric_id: x.run.rubric_name for x in listed}
        warned = []
        for rubric_id, name in seen_rubrics.items():
            for streak in streaks.running(db, rubric_id, n):
                org = db.get(Organisation, streak.org_id)
                if rubric_id in {r.id for r, _, _ in managed} or (org and views.concerns(principal, org.path)):
                    warned.append((name, streak))
        return page(
            request,
            "assessment/list.html",
            title="考核",
            nav="assessment",
            crumbs=[("考核", None)],
            managed=managed,
            listed=listed,
            warned=warned,
            months=n,
            can_create=bool(rubrics.owner_options(db, principal)),
        )

    def _show(
        self,
        request: Request,
        db: Db,
        run_id: int,
        *,
        errors: dict | None = None,
        failed: int = 0,
        form: service.AdjustForm | None = None,
        message: str | None = None,
        status: int = 200,
    ) -> Template:
        principal = _me(request)
        view = views.read(db, principal, run_id)
        others = service.revisions(db, view.run.rubric_id, view.run.month)
        return page(
            request,
            "assessment/show.html",
            title=f"{view.run.rubric_name} {view.run.month} 考核结果",
            nav="assessment",
            status=status,
            crumbs=[
                ("考核", request.app.route_reverse("list_assessments")),
                (f"{view.run.month} 第 {view.run.revision} 版", None),
            ],
            view=view,
            revisions=[r for r in others if view.manager or r.state.value != "draft"],
            errors=errors or {},
            failed=failed,
            failed_form=form,
            message=message,
        )

    @get("/{run_id:int}", name="show_assessment", sync_to_thread=True)
    def show_assessment(self, request: Request, db: Db, run_id: FromPath[int]) -> Template:
        return self._show(request, db, run_id)

    @post("/{run_id:int}/items/{item_id:int}/adjust", name="adjust_assessment_item", sync_to_thread=True)
    def adjust_assessment_item(
        self, request: Request, db: Db, run_id: FromPath[int], item_id: FromPath[int], data: Form
    ) -> Template | Redirect:
        principal = _me(request)
        form = form_of(service.AdjustForm, data)
        show = request.app.route_reverse("show_assessment", run_id=run_id)
        try:
            service.adjust(db, principal, run_id, item_id, form, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._show(
                request, db, run_id, errors=exc.errors, failed=item_id, form=form, message=exc.message, status=422
            )
        except Conflict as exc:
            db.rollback()
            return redirect(request, show, message=exc.message, level="warning")
        return redirect(request, f"{show}#item-{item_id}", message="已调整得分。")

    @post("/{run_id:int}/publish", name="publish_assessment", sync_to_thread=True)
    def publish_assessment(self, request: Request, db: Db, run_id: FromPath[int], data: Form) -> Redirect:
        principal = _me(request)
        show = request.app.route_reverse("show_assessment", run_id=run_id)
        try:
            service.publish(db, principal, run_id, str(data.get("version", "")), address=address_of(request))
        except Conflict as exc:
            db.rollback()
            return redirect(request, show, message=exc.message, level="warning")
        return redirect(request, show, message="考核结果已发布，被考核单位可以查看本单位得分和名次。")

    def _audited(self, request: Request, db: Db, view: views.RunView, what: str) -> None:
        principal, run = _me(request), view.run
        audit.record(
            db,
            "export.assessment",
            actor=principal.person,
            org=rubrics.owner_of(db, view.rubric),
            object_type="assessment",
            object_id=view.run.id,
            summary=f"{what}考核结果：{run.rubric_name} {run.month}（第 {run.revision} 版，{len(view.rows)} 个单位）",
            address=address_of(request),
        )

    @get("/{run_id:int}/export.xlsx", name="export_assessment", sync_to_thread=True, opt={"writes": True})
    def export_assessment(self, request: Request, db: Db, run_id: FromPath[int]) -> Response:
        view = views.read(db, _me(request), run_id)
        self._audited(request, db, view, "导出")
        name = f"考核结果_{view.run.rubric_name}_{view.run.month}_第{view.run.revision}版.xlsx"
        return Response(
            export.workbook(view, site=settings_of(request).site_name),
            media_type=XLSX,
            headers={
                "Content-Disposition": f"attachment; filename=\"assessment.xlsx\"; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "no-store",
            },
        )

    @get("/{run_id:int}/print.pdf", name="print_assessment", sync_to_thread=True, opt={"writes": True})
    def print_assessment(self, request: Request, db: Db, run_id: FromPath[int]) -> Response:
        view = views.read(db, _me(request), run_id)
        self._audited(request, db, view, "打印")
        name = f"考核结果_{view.run.rubric_name}_{view.run.month}_第{view.run.revision}版.pdf"
        return Response(
            export.pdf(view, issued_by=view.run.org_name),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f"inline; filename=\"assessment.pdf\"; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "no-store",
            },
        )
