"""联席会议 pages: the list, recording a meeting, one meeting with its decisions, and its minutes as PDF."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from archive.render import Renderer
from portal import clock
from portal.audit import service as audit
from portal.errors import Forbidden, Invalid
from portal.meetings import service
from portal.orgs import service as orgs
from portal.scope import Principal
from portal.web.render import Db, address_of, page, principal_of, redirect, settings_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
CRUMB = ("联席会议", "/meetings")


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


def _form_of(data: dict[str, Any]) -> service.MeetingForm:
    bodies = data.get("body_ids", [])
    bodies = bodies if isinstance(bodies, list) else [bodies]
    fields = {k: str(data.get(k, "")) for k in ("org_id", "held_on", "title", "place", "chair", "attendees")}
    return service.MeetingForm(
        **fields,
        minutes=str(data.get("minutes", "")),
        case_numbers=str(data.get("case_numbers", "")),
        body_ids=[str(b) for b in bodies],
    )


class MeetingController(Controller):
    path = "/meetings"

    @get("/", name="list_meetings", sync_to_thread=True)
    def list_meetings(self, request: Request, db: Db) -> Template:
        principal = _me(request)
        return page(
            request,
            "meetings/list.html",
            title="联席会议",
            nav="meetings",
            crumbs=[(CRUMB[0], None)],
            rows=service.list_meetings(db, principal),
            can_record=bool(service.convener_orgs(db, principal)),
        )

    def _form(self, request: Request, db: Session, principal: Principal, form, **extra: Any) -> Template:  # noqa: ANN001
        conveners = service.convener_orgs(db, principal)
        if not conveners:
            raise Forbidden("联席会议由调委会主任、负责人、督导或管理员记录。")
        return page(
            request,
            "meetings/form.html",
            title="记录联席会议",
            nav="meetings",
            crumbs=[CRUMB, ("记录会议", None)],
            form=form,
            convener_options=[(str(o.id), o.name) for o in conveners],
            body_options=[(str(oid), "　" * depth + name) for oid, name, depth in orgs.org_choices(db, principal)],
            errors=extra.pop("errors", {}),
            **extra,
        )

    @get("/new", name="new_meeting_form", sync_to_thread=True)
    def new_meeting_form(self, request: Request, db: Db) -> Template:
        form = service.MeetingForm(held_on=clock.today().isoformat())
        return self._form(request, db, _me(request), form)

    @post("/", name="create_meeting", sync_to_thread=True)
    def create_meeting(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = _me(request)
        form = _form_of(data)
        try:
            meeting = service.create(db, principal, form, today=clock.today(), address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._form(request, db, principal, form, errors=exc.errors, message=exc.message, status=422)
        return redirect(
            request, request.app.route_reverse("show_meeting", meeting_id=meeting.id), message="已记录联席会议。"
        )

    def _show(self, request: Request, db: Session, principal: Principal, meeting_id: int, **extra: Any) -> Template:
        found = service.view(db, principal, meeting_id)
        can_record = service.can_record(principal, found.convener)
        return page(
            request,
            "meetings/show.html",
            title=found.meeting.title,
            nav="meetings",
            crumbs=[CRUMB, (found.meeting.title, None)],
            v=found,
            can_record=can_record,
            org_options=[(str(oid), "　" * depth + name) for oid, name, depth in orgs.org_choices(db, principal)]
            if can_record
            else [],
            owner_options=service.owner_options(db, principal) if can_record else [],
            form=extra.pop("form", service.DecisionForm()),
            errors=extra.pop("errors", {}),
            today=clock.today(),
            **extra,
        )

    @get("/{meeting_id:int}", name="show_meeting", sync_to_thread=True)
    def show_meeting(self, request: Request, db: Db, meeting_id: FromPath[int]) -> Template:
        return self._show(request, db, _me(request), meeting_id)

    @post("/{meeting_id:int}/decisions", name="add_decision", sync_to_thread=True)
    def add_decision(self, request: Request, db: Db, meeting_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = _me(request)
        form = service.DecisionForm(**{k: str(data.get(k, "")) for k in ("text", "org_id", "owner_id", "due_on")})
        try:
            service.add_decision(db, principal, meeting_id, form, today=clock.today(), address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return self._show(
                request, db, principal, meeting_id, form=form, errors=exc.errors, message=exc.message, status=422
            )
        return redirect(
            request,
            request.app.route_reverse("show_meeting", meeting_id=meeting_id) + "#decisions",
            message="已登记议定事项，并列入责任单位的问题清单。",
        )

    @get("/{meeting_id:int}/minutes.pdf", name="meeting_minutes", sync_to_thread=True, opt={"writes": True})
    def meeting_minutes(self, request: Request, db: Db, meeting_id: FromPath[int]) -> Response:
        principal = _me(request)
        found = service.view(db, principal, meeting_id)
        settings = settings_of(request)
        title = f"{found.meeting.title}纪要"
        audit.record(
            db,
            "export.meeting_minutes",
            actor=principal.person,
            org=found.convener,
            object_type="joint_meeting",
            object_id=meeting_id,
            summary=f"打印联席会议纪要：{found.meeting.title}（{found.meeting.held_on}）",
            address=address_of(request),
        )
        content = Renderer(settings.dossier_pdf_variant, settings.dossier_page_numbers).single(
            "sheets/meeting_minutes.html", title=title, doc_title=title, authors=[found.convener.name], v=found
        )
        return Response(
            content=content,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="minutes-{meeting_id}.pdf"; '
                f"filename*=UTF-8''{quote(title + '.pdf')}",
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
