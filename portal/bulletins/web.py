"""专报 pages: the list by month, a draft with its numbers, editing, issuing (签发), and the issued files."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from sqlmodel import Session

from portal import clock
from portal.alerts.months import Month
from portal.bulletins import contents, issuing, present, service
from portal.bulletins.models import Bulletin
from portal.db import transaction
from portal.errors import Conflict, Invalid
from portal.orgs import service as orgs
from portal.orgs.models import Organisation
from portal.scope import Principal
from portal.web.render import Db, address_of, int_or_none, page, principal_of, redirect, settings_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


def _url(request: Request, bulletin_id: int) -> str:
    return request.app.route_reverse("show_bulletin", bulletin_id=bulletin_id)


def _render(
    request: Request,
    db: Session,
    bulletin: Bulletin,
    org: Organisation,
    *,
    status: int = 200,
    form: service.EditForm | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    latest: Bulletin | None = None,
) -> Template:
    principal, settings = _me(request), settings_of(request)
    month = Month.parse(bulletin.month)
    editor = service.may_edit(principal, org)
    gathered = contents.gather(
        db,
        principal,
        org,
        month,
        list(bulletin.typical),
        basis=issuing.basis(settings, clock.today()),
        settings=settings,
    )
    issues = service.issues_of(db, bulletin)
    return page(
        request,
        "bulletins/show.html",
        title=service.title_of(org, month),
        nav="bulletins",
        crumbs=[("专报", f"{request.app.route_reverse('list_bulletins')}?org={org.id}"), (month.label, None)],
        status=status,
        bulletin=bulletin,
        org=org,
        month=month,
        number=service.number_of(month),
        v=present.view(gathered),
        analysis=present.paragraphs(bulletin.analysis),
        advice=present.paragraphs(bulletin.advice),
        taken_on=gathered.taken_on.isoformat(),
        issues=issues,
        editor=editor,
        candidates=contents.candidates(db, principal, org, month) if editor else [],
        form=form or service.EditForm.of_bulletin(bulletin),
        errors=errors or {},
        message=message,
        latest=latest,
        cases_url=request.app.route_reverse("list_cases"),
    )


class BulletinController(Controller):
    path = "/bulletins"

    @get("/", name="list_bulletins", sync_to_thread=True)
    def list_bulletins(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        """An organisation's 专报 by month, each with its issued versions; a form to draft a month's."""
        principal = _me(request)
        area = service.area_of(db, principal, int_or_none(org))
        today = clock.today()
        return page(
            request,
            "bulletins/list.html",
            title=f"研判预警专报 · {area.name}",
            nav="bulletins",
            crumbs=[("专报", None)],
            org=area,
            listed=service.listing(db, area),
            editor=service.may_edit(principal, area),
            last_month=str(Month.of(today).shift(-1)),
            this_month=str(Month.of(today)),
            org_options=[(str(oid), "　" * depth + name) for oid, name, depth in orgs.org_choices(db, principal)],
        )

    @post("/", name="start_bulletin", sync_to_thread=True)
    def start_bulletin(self, request: Request, db: Db, data: Form) -> Redirect:
        """Draft the month's 专报 (or open the one that exists)."""
        principal = _me(request)
        area = service.area_of(db, principal, int_or_none(str(data.get("org", ""))) or 0)
        try:
            bulletin = service.start(
                db, principal, area, str(data.get("month", "")), clock.today(), address=address_of(request)
            )
        except Invalid as exc:
            db.rollback()
            return redirect(
                request,
                f"{request.app.route_reverse('list_bulletins')}?org={area.id}",
                message=next(iter(exc.errors.values())),
                level="error",
            )
        return redirect(request, _url(request, bulletin.id))

    @get("/{bulletin_id:int}", name="show_bulletin", sync_to_thread=True, opt={"writes": True})
    def show_bulletin(self, request: Request, db: Db, bulletin_id: FromPath[int]) -> Template:
        """The draft with the numbers as counted now, the editor's text, and the issued versions (audited)."""
        principal = _me(request)
        bulletin, org = service.get(db, principal, bulletin_id)
        shown = _render(request, db, bulletin, org)
        summary = f"查看专报：{service.title_of(org, Month.parse(bulletin.month))}"
        issuing.record_view(db, principal, "bulletin.view", bulletin, org, summary, address_of(request))
        return shown

    @post("/{bulletin_id:int}/edit", name="update_bulletin", sync_to_thread=True)
    def update_bulletin(self, request: Request, db: Db, bulletin_id: FromPath[int], data: Form) -> Template | Redirect:
        """Save the text and the typical cases; invalid input 422, a conflicting edit 409 with the other's text."""
        principal = _me(request)
        form = service.EditForm.of(data)
        try:
            service.edit(db, principal, bulletin_id, form, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            bulletin, org = service.get(db, principal, bulletin_id)
            return _render(request, db, bulletin, org, status=422, form=form, errors=exc.errors, message=exc.message)
        except service.EditConflict as exc:
            db.rollback()
            bulletin, org = service.get(db, principal, bulletin_id)
            db.refresh(bulletin)
            form.version = str(bulletin.version)  # submitting again is a deliberate overwrite
            return _render(request, db, bulletin, org, status=409, form=form, message=exc.message, latest=bulletin)
        return redirect(request, _url(request, bulletin_id) + "#edit", message="专报已保存。")

    @post("/{bulletin_id:int}/issue", name="issue_bulletin", sync_to_thread=True)
    def issue_bulletin(self, request: Request, bulletin_id: FromPath[int], data: Form) -> Template | Redirect:
        """签发: render and store, then record the version; the loser of two at once gets 409. No request-wide
        transaction: rendering takes seconds and must not hold the write lock (portal.bulletins.issuing)."""
        principal, state = _me(request), request.app.state
        with transaction(state.reader) as db:  # 404 outside the scope, 403 for readers, before the form is read
            service.require_editor(principal, service.get(db, principal, bulletin_id)[1])
        try:
            seen = issuing.Seen.of(data)
            made = issuing.issue(
                state.engine,
                state.reader,
                principal,
                bulletin_id,
                seen,
                settings=settings_of(request),
                address=address_of(request),
            )
        except (Invalid, Conflict) as exc:
            with transaction(state.reader) as db:
                bulletin, org = service.get(db, principal, bulletin_id)
                status = 422 if isinstance(exc, Invalid) else 409
                return _render(
                    request, db, bulletin, org, status=status, message=exc.message, errors={"issue": exc.message}
                )
        return redirect(
            request, _url(request, bulletin_id) + "#issues", message=f"已签发 {made.number} 第 {made.version} 版。"
        )

    @get(
        "/{bulletin_id:int}/versions/{version:int}/pdf",
        name="download_bulletin",
        sync_to_thread=True,
        opt={"writes": True},
    )
    def download_bulletin(
        self, request: Request, db: Db, bulletin_id: FromPath[int], version: FromPath[int], print: FromQuery[str] = ""
    ) -> Response:
        """An issued version's PDF: a download, or (print=1) opened in the browser to print; audited either way."""
        return _serve(request, db, bulletin_id, version, kind="print" if print == "1" else "pdf")

    @get(
        "/{bulletin_id:int}/versions/{version:int}/annex.xlsx",
        name="download_bulletin_annex",
        sync_to_thread=True,
        opt={"writes": True},
    )
    def download_bulletin_annex(
        self, request: Request, db: Db, bulletin_id: FromPath[int], version: FromPath[int]
    ) -> Response:
        """An issued version's Excel annex (the same numbers); audited."""
        return _serve(request, db, bulletin_id, version, kind="annex")


ACTIONS = {
    "pdf": ("bulletin.download", "下载"),
    "print": ("bulletin.print", "打印"),
    "annex": ("bulletin.annex", "下载附件"),
}


def _serve(request: Request, db: Session, bulletin_id: int, version: int, *, kind: str) -> Response:
    principal = _me(request)
    bulletin, org = service.get(db, principal, bulletin_id)
    issue = service.get_issue(db, bulletin, version)
    data = issuing.read(settings_of(request), issue, annex=kind == "annex")
    action, verb = ACTIONS[kind]
    summary = f"{verb}专报 {issue.number} 第 {issue.version} 版：{issue.title}"
    issuing.record_view(db, principal, action, bulletin, org, summary, address_of(request))
    name = f"{issue.title}{issue.number}-v{issue.version}" + ("-附件.xlsx" if kind == "annex" else ".pdf")
    disposition = "inline" if kind == "print" else "attachment"
    return Response(
        content=data,
        media_type=XLSX if kind == "annex" else "application/pdf",
        headers={
            "Content-Disposition": f"{disposition}; filename=\"bulletin\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
