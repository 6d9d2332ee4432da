"""Dossier pages: print a document, upload a signed scan, pre-check, bind (background, htmx progress),
file, correct, download versions; the archive's disposal review, hand-over export and fixity status."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template
from sqlmodel import Session

from archive import storage
from archive.retention import TERMS
from portal.audit import service as audit
from portal.cases.access import get_case
from portal.cases.models import Case
from portal.dossiers import catalogue, fixity, jobs, service
from portal.dossiers.models import DossierVersion
from portal.dossiers.web_archive import ArchiveController
from portal.errors import Forbidden, Invalid, NotFound
from portal.orgs.models import Organisation
from portal.scope import Principal
from portal.web.render import Db, address_of, form_of, page, principal_of, redirect, settings_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def _me(request: Request):  # noqa: ANN202
    principal = principal_of(request)
    assert principal is not None
    return principal


def _dossier_url(request: Request, case_id: int) -> str:
    return request.app.route_reverse("show_dossier", case_id=case_id)


def _pdf(content: bytes, filename: str, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        content=content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def render_dossier(
    request: Request,
    db,
    case_id: int,
    *,
    status: int = 200,
    errors: dict | None = None,  # noqa: ANN001
    form: jobs.FilingForm | None = None,
) -> Template:
    """The dossier page, also re-rendered (422) with the filing form's errors."""
    principal = _me(request)

    settings = settings_of(request)
    case = get_case(db, principal, case_id)
    can = {
        "bind": service.can_act(principal, case, service.BIND_ROLES) and case.archived_at is None,
        "file": service.can_act(principal, case, service.FILE_ROLES) and case.archived_at is None,
        "correct": service.can_act(principal, case, service.FILE_ROLES) and case.archived_at is not None,
        "scan": service.can_act(principal, case, service.SCAN_ROLES) and case.archived_at is None,
        "download": service.may_download(principal, case),
    }
    versions = service.versions_of(db, case)
    problems = service.precheck(db, case, uploads_dir=settings.uploads_dir)
    items = service.contents_preview(db, case, uploads_dir=settings.uploads_dir)
    form = form or (_filing_defaults(db, case, principal, settings) if can["file"] else jobs.FilingForm())
    return page(
        request,
        "dossiers/show.html",
        title=f"卷宗 {case.number}",
        nav="cases",
        status=status,
        crumbs=[
            ("案件", request.app.route_reverse("list_cases")),
            (case.number, request.app.route_reverse("show_case", case_id=case.id)),
            ("卷宗", None),
        ],
        case=case,
        can=can,
        versions=versions,
        problems=problems,
        dossier_items=items,
        job_list=service.jobs_of(db, case),
        documents=service.printable(db, case),
        scan_targets=service.scan_targets(db, case),
        terms=[(t, t) for t in TERMS],
        form=form,
        errors=errors or {},
        suggested=service.suggested_retention(db, case),
        filed_before=any(v.status != "draft" for v in versions),
    )


def _filing_defaults(db, case: Case, principal: Principal, settings) -> jobs.FilingForm:  # noqa: ANN001
    """The filing form as offered: the case title as 卷名, the proposed 档号, the suggested 保管期限 — or, after a
    correction, what the last filed version said (卷名, 档号, 卷号, 检查人, 备注, 保管期限), so nothing is lost."""
    last = catalogue.carried(db, case)
    retention = (last.retention if last else "") or service.suggested_retention(db, case)
    return jobs.FilingForm(
        title=(last.title if last else "") or case.title,
        filed_by=principal.person.name,
        checked_by=last.checked_by if last else "",
        retention=retention,
        volume_number=(last.volume_number if last else "") or case.number,
        archive_number=(last.archive_number if last else "") or catalogue.propose(db, case, retention, settings),
        notes=last.notes if last else "",
    )


class DossierController(Controller):
    path = "/cases/{case_id:int}"

    @get("/dossier", name="show_dossier", sync_to_thread=True)
    def show_dossier(self, request: Request, db: Db, case_id: FromPath[int]) -> Template:
        return render_dossier(request, db, case_id)

    @get("/documents/{key:str}", name="print_document", sync_to_thread=True, opt={"writes": True})
    def print_document(self, request: Request, db: Db, case_id: FromPath[int], key: FromPath[str]) -> Response:
        principal = _me(request)
        settings = settings_of(request)
        case = get_case(db, principal, case_id)
        title, pdf = service.print_document(
            db,
            principal,
            case,
            key,
            uploads_dir=settings.uploads_dir,
            variant=settings.dossier_pdf_variant,
            position=settings.dossier_page_numbers,
            address=address_of(request),
        )
        return _pdf(pdf, f"{case.number}-{title}.pdf", inline=True)

    @post("/dossier/scans", name="upload_signed_scan", sync_to_thread=True)
    def upload_signed_scan(self, request: Request, db: Db, case_id: FromPath[int], data: Multipart) -> Redirect:
        principal = _me(request)
        settings = settings_of(request)
        case = get_case(db, principal, case_id)
        upload = data.get("file")
        content = upload.file.read() if isinstance(upload, UploadFile) else b""
        filename = upload.filename if isinstance(upload, UploadFile) else ""
        try:
            service.upload_scan(
                db,
                principal,
                case,
                doc_key=str(data.get("doc_key", "")),
                filename=filename,
                data=content,
                root=settings.uploads_dir,
                max_bytes=settings.upload_max_mb * 1048576,
                address=address_of(request),
            )
        except Invalid as exc:
            db.rollback()
            return redirect(
                request,
                _dossier_url(request, case.id) + "#scans",
                message="上传未成功：" + "；".join(exc.errors.values()),
                level="error",
            )
        return redirect(request, _dossier_url(request, case.id) + "#precheck", message=f"已上传签字扫描件：{filename}")

    def _queue(self, request: Request, db: Db, case_id: int, purpose: str, data: dict) -> Redirect | Template:
        principal = _me(request)
        settings = settings_of(request)
        case = get_case(db, principal, case_id)
        form = form_of(jobs.FilingForm, data) if purpose == "file" else None
        try:
            job = jobs.request_binding(
                db, principal, case, settings=settings, purpose=purpose, form=form, address=address_of(request)
            )
        except Invalid as exc:
            db.rollback()
            return render_dossier(request, db, case_id, status=422, errors=exc.errors, form=form)
        db.commit()  # the worker reads the job from its own session
        jobs.submit(request.app.state.engine, settings, job.id)
        what = "已开始立卷归档（装订中）" if purpose == "file" else "已开始装订"
        return redirect(request, _dossier_url(request, case.id) + "#jobs", message=f"{what}，完成后可在本页下载。")

    @post("/dossier/bind", name="bind_dossier", sync_to_thread=True)
    def bind_dossier(self, request: Request, db: Db, case_id: FromPath[int], data: Form) -> Redirect | Template:
        return self._queue(request, db, case_id, "draft", data)

    @post("/dossier/file", name="file_dossier", sync_to_thread=True)
    def file_dossier(self, request: Request, db: Db, case_id: FromPath[int], data: Form) -> Redirect | Template:
        return self._queue(request, db, case_id, "file", data)

    @get("/dossier/jobs/{job_id:int}", name="show_binding_job", sync_to_thread=True)
    def show_binding_job(self, request: Request, db: Db, case_id: FromPath[int], job_id: FromPath[int]) -> Template:
        principal = _me(request)
        case = get_case(db, principal, case_id)
        job = service.get_job(db, case, job_id)
        return page(
            request,
            "dossiers/job.html",
            partial="dossiers/_job.html",
            title=f"装订任务 {case.number}",
            nav="cases",
            case=case,
            job=job,
            can_download=service.may_download(principal, case),
            crumbs=[
                ("案件", request.app.route_reverse("list_cases")),
                (case.number, request.app.route_reverse("show_case", case_id=case.id)),
                ("卷宗", _dossier_url(request, case.id)),
                ("装订任务", None),
            ],
        )

    @post("/dossier/correct", name="open_correction", sync_to_thread=True)
    def open_correction(self, request: Request, db: Db, case_id: FromPath[int], data: Form) -> Redirect:
        principal = _me(request)
        case = get_case(db, principal, case_id)
        try:
            jobs.open_correction(db, principal, case, reason=str(data.get("reason", "")), address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return redirect(
                request, _dossier_url(request, case.id), message="；".join(exc.errors.values()), level="error"
            )
        return redirect(
            request, _dossier_url(request, case.id), message="已开启更正：案件可以修改，更正后请重新立卷（新版本）。"
        )

    @get("/dossier/versions/{version_id:int}", name="download_dossier", sync_to_thread=True, opt={"writes": True})
    def download_dossier(self, request: Request, db: Db, case_id: FromPath[int], version_id: FromPath[int]) -> Response:
        principal = _me(request)
        case = get_case(db, principal, case_id)
        return _serve_version(request, db, principal, case, service.get_version(db, case, version_id))

    @get("/dossier/filed", name="read_filed_dossier", sync_to_thread=True, opt={"writes": True})
    def read_filed_dossier(self, request: Request, db: Db, case_id: FromPath[int]) -> Response:
        """The newest filed version, opened in the browser: search hits inside a dossier link here with #page=N."""
        principal = _me(request)
        case = get_case(db, principal, case_id)
        version = service.latest_filed(db, case)
        if version is None:
            raise NotFound("本案尚未立卷归档。")
        return _serve_version(request, db, principal, case, version, inline=True)


def _serve_version(
    request: Request, db: Session, principal: Principal, case: Case, version: DossierVersion, *, inline: bool = False
) -> Response:
    """A stored version, read through its checksum, to people who may see full personal data; audited."""
    if not service.may_download(principal, case):
        raise Forbidden("卷宗含当事人完整个人信息，只有办理机构及其上级的人员可以下载。")
    if version.status == "destroyed":
        raise Forbidden("该版本已按保管期限销毁，只保留销毁记录和校验值。")
    content = storage.read(settings_of(request).archive_dir, version.storage_key, version.sha256)
    audit.record(
        db,
        "dossier.download",
        actor=principal.person,
        org=db.get(Organisation, case.org_id),
        object_type="case",
        object_id=case.id,
        summary=f"{'查看' if inline else '下载'}卷宗 第 {version.version} 版：{case.number}",
        address=address_of(request),
    )
    return _pdf(content, f"{case.number}-卷宗-v{version.version}.pdf", inline=inline)


dossier_router = Router(path="/", route_handlers=[DossierController, ArchiveController])


def start_keeping(app) -> None:  # noqa: ANN001
    """On start-up: jobs a stopped server left unfinished are marked failed; the fixity schedule starts."""
    jobs.recover_interrupted(app.state.engine)
    scheduler = fixity.Scheduler(app.state.engine, app.state.settings)
    scheduler.start()
    app.state.fixity_scheduler = scheduler


def stop_keeping(app) -> None:  # noqa: ANN001
    scheduler = app.state.get("fixity_scheduler")
    if scheduler is not None:
        scheduler.stop()
