"""The archive's pages: disposal review of dossiers whose retention ended, the hand-over export, fixity status."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template

from archive.retention import TERMS
from portal import clock, inputs
from portal.dossiers import fixity, keeping
from portal.errors import Invalid
from portal.web.render import Db, address_of, page, principal_of, redirect, settings_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _me(request: Request):  # noqa: ANN202
    principal = principal_of(request)
    assert principal is not None
    return principal


class ArchiveController(Controller):
    path = "/archive"

    @get("/disposal", name="disposal_review", sync_to_thread=True)
    def disposal_review(self, request: Request, db: Db) -> Template:
        principal = _me(request)
        rows = keeping.due_for_review(db, principal, clock.today())
        return page(
            request,
            "dossiers/disposal.html",
            title="到期卷宗鉴定",
            nav="cases",
            crumbs=[("到期卷宗鉴定", None)],
            rows=rows,
            records=keeping.disposals(db, principal),
            terms=[(t, t) for t in TERMS],
            can_decide=bool(principal.roots(*keeping.KEEP_ROLES)),
        )

    @post("/disposal/{version_id:int}", name="decide_disposal", sync_to_thread=True)
    def decide_disposal(self, request: Request, db: Db, version_id: FromPath[int], data: Form) -> Redirect:
        principal = _me(request)
        try:
            keeping.decide(
                db,
                principal,
                version_id,
                decision=str(data.get("decision", "")),
                new_retention=str(data.get("new_retention", "")),
                reason=str(data.get("reason", "")),
                root=settings_of(request).archive_dir,
                today=clock.today(),
                address=address_of(request),
            )
        except Invalid as exc:
            db.rollback()
            return redirect(
                request,
                request.app.route_reverse("disposal_review"),
                message="；".join(exc.errors.values()),
                level="error",
            )
        return redirect(request, request.app.route_reverse("disposal_review"), message="已登记处置决定。")

    @get("/handover", name="handover_form", sync_to_thread=True)
    def handover_form(self, request: Request, db: Db) -> Template:
        principal = _me(request)
        return page(
            request,
            "dossiers/handover.html",
            title="卷宗移交",
            nav="cases",
            crumbs=[("卷宗移交", None)],
            rows=keeping.handover_candidates(db, principal),
        )

    @post("/handover", name="export_handover", sync_to_thread=True)
    def export_handover(self, request: Request, db: Db, data: Form) -> Response | Redirect:
        principal = _me(request)
        chosen = data.get("version_id", [])
        ids = [i for v in (chosen if isinstance(chosen, list) else [chosen]) if (i := inputs.id_or_none(v)) is not None]
        try:
            package = keeping.export(
                db,
                principal,
                ids,
                root=settings_of(request).archive_dir,
                uploads_root=settings_of(request).uploads_dir,
                address=address_of(request),
            )
        except Invalid as exc:
            db.rollback()
            return redirect(
                request,
                request.app.route_reverse("handover_form"),
                message="；".join(exc.errors.values()),
                level="error",
            )
        name = f"卷宗移交包-{clock.today().isoformat()}.zip"
        return Response(
            content=package,
            media_type="application/zip",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store"},
        )

    @get("/fixity", name="fixity_status", sync_to_thread=True)
    def fixity_status(self, request: Request, db: Db) -> Template:
        principal = _me(request)
        return page(
            request,
            "dossiers/fixity.html",
            partial="dossiers/_fixity.html",
            title="卷宗固定性检查",
            nav="workspace",
            crumbs=[("工作台", request.app.route_reverse("workspace")), ("卷宗固定性检查", None)],
            fixity=fixity.view(db, principal),
        )
