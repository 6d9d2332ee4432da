"""Moving a case through the loop from the web: the form of each action (受理, 调解成功, 结案 …) and free records."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal import clock
from portal.cases import loop
from portal.cases.access import get_case, require_act
from portal.cases.models import Case
from portal.cases.record_kinds import FREE_RECORDS, RECORD_KINDS, RecordKind
from portal.cases.states import TRANSITIONS, Transition
from portal.cases.web import RECORD_ROLES, Form, case_crumbs, case_url, me
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.people.models import Role
from portal.scope import Principal
from portal.web.render import Db, address_of, page, redirect


def _transition(principal: Principal, case: Case, action: str) -> Transition:
    """The action if the machine allows it now and the person may take it; otherwise 404 or 403."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise NotFound("没有这个办理操作。")
    if case.state not in transition.sources:
        raise Forbidden(f"案件当前状态为“{case.state.label}”，不能进行“{transition.label}”。")
    require_act(principal, case, transition.roles, transition.label)
    return transition


def _free_kind(principal: Principal, case: Case, kind_code: str) -> RecordKind:
    """A record that may be added on its own now (the same rules as loop.add_record, checked before showing
    its form)."""
    kind = RECORD_KINDS.get(kind_code)
    if kind is None or kind_code not in FREE_RECORDS:
        raise Forbidden("不能单独添加这种记录。")
    if case.state.value not in FREE_RECORDS[kind_code]:
        raise Forbidden(f"案件当前状态为“{case.state.label}”，不能添加{kind.label}。")
    require_act(
        principal, case, (Role.CLERK, *RECORD_ROLES) if kind_code == "evaluation" else RECORD_ROLES, f"添加{kind.label}"
    )
    return kind


def _form(
    request: Request,
    db: Session,
    case: Case,
    *,
    title: str,
    kind: RecordKind | None,
    action_url: str,
    hidden: dict,
    values: dict | None = None,
    errors: dict | None = None,
    message: str | None = None,
    status: int = 200,
    missing: list[str] | None = None,
    button: str = "提交",
) -> Template:
    return page(
        request,
        "cases/record_form.html",
        title=f"{title}：{case.number}",
        nav="cases",
        status=status,
        crumbs=case_crumbs(request, case, (title, None)),
        case=case,
        kind=kind,
        action_url=action_url,
        hidden=hidden,
        values=values or {},
        errors=errors or {},
        message=message,
        missing=missing or [],
        heading=title,
        button=button,
        today=clock.today().isoformat(),
        experts=loop.expert_choices(db, me(request), kind),
    )


def _values(data: dict) -> dict[str, str | list[str]]:
    """The posted form as typed, for re-rendering it (a multiple choice stays a list)."""
    return {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in data.items() if k != "_csrf_token"}


class CaseLoopController(Controller):
    path = "/cases/{case_id:int}"

    @get("/actions/{action:str}", name="action_form", sync_to_thread=True)
    def action_form(self, request: Request, db: Db, case_id: FromPath[int], action: FromPath[str]) -> Template:
        principal = me(request)
        case = get_case(db, principal, case_id)
        t = _transition(principal, case, action)
        return _form(
            request,
            db,
            case,
            title=t.label,
            kind=RECORD_KINDS.get(t.record or ""),
            button=f"确认{t.label}",
            action_url=request.app.route_reverse("take_action", case_id=case.id, action=t.action),
            hidden={"version": case.version},
            missing=loop.missing_for(db, case, t),
        )

    @post("/actions/{action:str}", name="take_action", sync_to_thread=True)
    def take_action(
        self, request: Request, db: Db, case_id: FromPath[int], action: FromPath[str], data: Form
    ) -> Template | Redirect:
        principal = me(request)
        case = get_case(db, principal, case_id)
        settings = request.app.state.settings
        t = TRANSITIONS.get(action)
        if t is None:
            raise NotFound("没有这个办理操作。")
        values = _values(data)
        common: dict[str, Any] = {
            "title": t.label,
            "kind": RECORD_KINDS.get(t.record or ""),
            "button": f"确认{t.label}",
            "values": values,
            "action_url": request.app.route_reverse("take_action", case_id=case.id, action=t.action),
        }
        try:
            loop.apply(
                db,
                principal,
                case,
                action,
                data,
                deadlines=loop.Deadlines(settings.mediation_days, settings.followup_days),
                address=address_of(request),
            )
        except Invalid as exc:
            db.rollback()
            return _form(
                request,
                db,
                case,
                hidden={"version": case.version},
                errors=exc.errors,
                message=exc.message,
                status=422,
                **common,
            )
        except Conflict as exc:
            db.rollback()
            require_act(
                principal, case, t.roles, t.label
            )  # a stale form shows the latest state only to those who may act
            note = [exc.message, f"案件当前状态为“{case.state.label}”。"]
            return _form(request, db, case, hidden={"version": case.version}, message=note, status=409, **common)
        return redirect(request, case_url(request, case.id), message=f"已完成“{t.label}”。")

    @get("/records/new", name="new_record_form", sync_to_thread=True)
    def new_record_form(self, request: Request, db: Db, case_id: FromPath[int], kind: FromQuery[str] = "") -> Template:
        principal = me(request)
        case = get_case(db, principal, case_id)
        spec = _free_kind(principal, case, kind)
        return _form(
            request,
            db,
            case,
            title=f"添加{spec.label}",
            kind=spec,
            hidden={"kind": spec.code},
            button="保存",
            action_url=request.app.route_reverse("add_record", case_id=case.id),
        )

    @post("/records", name="add_record", sync_to_thread=True)
    def add_record(self, request: Request, db: Db, case_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = me(request)
        case = get_case(db, principal, case_id)
        kind_code = str(data.get("kind", ""))
        try:
            record = loop.add_record(db, principal, case, kind_code, data, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            spec = RECORD_KINDS[kind_code]
            return _form(
                request,
                db,
                case,
                title=f"添加{spec.label}",
                kind=spec,
                hidden={"kind": spec.code},
                button="保存",
                action_url=request.app.route_reverse("add_record", case_id=case.id),
                values=_values(data),
                errors=exc.errors,
                message=exc.message,
                status=422,
            )
        return redirect(
            request, case_url(request, case.id) + "#records", message=f"已添加{RECORD_KINDS[record.kind].label}。"
        )
