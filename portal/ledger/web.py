"""The ledger pages: upload a file to import (with a dry run), download the visible cases as JSON Lines."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Response, Template

from portal import clock
from portal.ledger import importer, service
from portal.web.render import Db, address_of, int_or_none, page, principal_of

Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def _max_bytes(request: Request) -> int:
    """The upload limit (settings.upload_max_mb); the app refuses bodies a little above it before any handler runs."""
    return request.app.state.settings.upload_max_mb * 1024 * 1024


class LedgerController(Controller):
    path = "/ledger"

    def _form(
        self,
        request: Request,
        db: Db,
        *,
        org: str = "",
        dry_run: bool = True,
        report: importer.Report | None = None,
        message: str | None = None,
        status: int = 200,
    ) -> Template:
        principal = principal_of(request)
        assert principal is not None
        return page(
            request,
            "ledger/import.html",
            title="导入案件台账",
            nav="cases",
            status=status,
            crumbs=[("导入案件台账", None)],
            org=org,
            dry_run=dry_run,
            report=report,
            message=message,
            org_options=[(str(o.id), o.name) for o in service.import_orgs(db, principal)],
            max_mb=request.app.state.settings.upload_max_mb,
        )

    @get("/import", name="import_form", sync_to_thread=True)
    def import_form(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        principal = principal_of(request)
        assert principal is not None
        service.require_import(db, principal, int_or_none(org))
        return self._form(request, db, org=org)

    @post("/import", name="import_cases", sync_to_thread=True)
    def import_cases(self, request: Request, db: Db, data: Upload) -> Template:
        principal = principal_of(request)
        assert principal is not None
        org = str(data.get("org_id") or "")
        dry_run = bool(data.get("dry_run"))
        upload = data.get("file")
        # The file is read before the first statement: the request's write transaction (on SQLite, the write lock
        # every other user's change waits for) begins there, and a workbook can take seconds to read. Only people who
        # may import somewhere get that far; anyone else is refused first — 404 for an organisation outside their
        # scope, as everywhere, else 403 — and nothing of the file is read.
        if not principal.roots(*importer.IMPORT_ROLES):
            service.require_import(db, principal, int_or_none(org))
        parsed, refusal = None, None
        if isinstance(upload, UploadFile) and upload.filename:
            try:
                parsed = service.read_upload(upload.file.read(), max_bytes=_max_bytes(request))
            except service.TooLarge as exc:
                refusal = (str(exc), 413)
            except importer.UnreadableFile as exc:
                refusal = (str(exc), 415)
        service.require_import(db, principal, int_or_none(org))
        if parsed is None:
            message, status = refusal or ("请选择要导入的文件。", 422)
            return self._form(request, db, org=org, dry_run=dry_run, message=message, status=status)
        report = service.import_upload(
            db, principal, parsed, org_id=int_or_none(org), dry_run=dry_run, address=address_of(request)
        )
        if not report.ok:
            return self._form(request, db, org=org, dry_run=dry_run, report=report, status=422)
        return self._form(request, db, org=org, dry_run=dry_run, report=report)

    @get("/export", name="export_cases", sync_to_thread=True, opt={"writes": True})
    def export_cases(self, request: Request, db: Db, org: FromQuery[str] = "") -> Response:
        """The visible cases as JSON Lines; personal data stays masked where the reader may not see it; audited."""
        principal = principal_of(request)
        assert principal is not None
        content, _ = service.export_visible(db, principal, org_id=int_or_none(org), address=address_of(request))
        filename = f"cases-{clock.today():%Y%m%d}.jsonl"
        return Response(
            content=content.encode(),
            media_type="application/x-ndjson; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}", "Cache-Control": "no-store"},
        )
