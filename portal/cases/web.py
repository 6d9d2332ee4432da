"""Case pages: the scoped list, one-window intake (一窗受理), the case page, editing, parties and mediators."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal import clock, freshness, inputs
from portal.cases import files, ids, loop, parties, service, signing, transfers
from portal.cases import page as case_page
from portal.cases.access import can_act, get_case
from portal.cases.models import (
    CHANNELS,
    ID_TYPES,
    MEDIATION_STATES,
    OPEN_STATES,
    PARTY_ROLES,
    STATE_LABELS,
    TRANSFER_KINDS,
    Case,
    CaseState,
    TransferState,
)
from portal.cases.record_kinds import FREE_RECORDS, RECORD_KINDS
from portal.cases.states import available
from portal.errors import Forbidden, Invalid
from portal.orgs import service as orgs
from portal.orgs.models import TIER_LABELS, Organisation
from portal.people import service as people
from portal.people.models import Role
from portal.scope import Principal
from portal.stats import drilldown
from portal.web.render import Db, address_of, form_of, int_or_none, page, principal_of, redirect, reveals, save_edit

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
RECORD_ROLES = (Role.MEDIATOR, Role.DIRECTOR)
KIND_OPTIONS = [("natural", "自然人"), ("legal", "法人或其他组织")]
PARTY_DEFAULTS = ("申请人", "被申请人", "第三人")


def me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


def deadline_of(case: Case, today: date, soon_days: int) -> tuple[str, str] | None:
    """A badge (text, level) for a case whose mediation or follow-up deadline has passed or is near."""
    due = (
        case.mediation_due_on
        if case.state in MEDIATION_STATES
        else (case.followup_due_on if case.state == CaseState.CLOSED else None)
    )
    what = "调解" if case.state != CaseState.CLOSED else "回访"
    if due is None:
        return None
    if due < today:
        return f"{what}逾期 {(today - due).days} 天", "danger"
    if due <= today + timedelta(days=soon_days):
        return f"{what}期限将至（{due.isoformat()}）", "warning"
    return None


@dataclass(frozen=True, slots=True)
class ListRow:
    """One row of the case list, ready to print: the template then only reads attributes, which costs a fraction of
    what it paid for looking names up in SQLAlchemy rows, enum properties and calls per cell (~1 ms a page)."""

    href: str
    number: str
    title: str
    in_transfer: bool
    risk_flag: bool
    type_name: str
    state_label: str
    archived: bool
    org_name: str
    received_on: str
    mediation_due_on: str  # shown while the case is being mediated
    due_level: str  # "danger" (overdue), "warning" (due soon) or ""


def list_rows(
    rows: Iterable[Any], *, href: Callable[[int], str], type_names: Mapping[str, str], today: date, soon_days: int
) -> list[ListRow]:
    """The list's rows (service.LIST_COLUMNS) as ListRows."""
    out = []
    for row in rows:
        state, mediation_due = row.state, row.mediation_due_on
        due = deadline_of(row, today, soon_days)
        out.append(
            ListRow(
                href(row.id),
                row.number,
                row.title,
                row.in_transfer,
                row.risk_flag,
                type_names.get(row.dispute_type, row.dispute_type),
                STATE_LABELS[state],
                row.archived_at is not None,
                row.org_name,
                row.received_on.isoformat(),
                mediation_due.isoformat() if mediation_due and state in MEDIATION_STATES else "",
                due[1] if due else "",
            )
        )
    return out


def state_chips(counts: Mapping[str, int], link: Callable[..., str]) -> list[tuple[str, str, int, str]]:
    """(state, label, count, href) of each state the filtered scope has cases in, in the loop's order."""
    return [
        (state.value, label, counts[state.value], link(state=state.value, page=""))
        for state, label in STATE_LABELS.items()
        if counts.get(state.value)
    ]


def case_url(request: Request, case_id: int) -> str:
    return request.app.route_reverse("show_case", case_id=case_id)


def case_links(request: Request) -> Callable[[int], str]:
    """Case page URLs for a list's rows from one reverse lookup (url_for on every row costs more than the row)."""
    head, sep, _ = case_url(request, 0).rpartition("/")
    return lambda case_id: f"{head}{sep}{case_id}"


def case_crumbs(request: Request, case: Case, *tail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        ("案件", request.app.route_reverse("list_cases")),
        (case.number, case_url(request, case.id) if tail else None),
        *tail,
    ]


def party_forms(data: dict | None = None) -> list[parties.PartyForm]:
    """The three blocks of the intake form: typed values, or 申请人/被申请人/第三人 by default."""
    if data is None:
        return [parties.PartyForm(role=role) for role in PARTY_DEFAULTS]
    return parties.parties_from_form(data, count=3)


_CASE_CHOICES = (
    freshness.Remembered()
)  # the case page's mediator and transfer-target lists, while the directory is unchanged


def render_case(
    request: Request,
    db: Session,
    principal: Principal,
    case: Case,
    *,
    status: int = 200,
    reveal: int | None = None,
    shown: case_page.CasePage | None = None,
    **forms: Any,
) -> Template:
    """The case page, also re-rendered (422) with the errors of one of its forms in `forms`. What it shows is read in
    one statement (cases.page) unless the caller has read it (`shown`)."""
    settings = request.app.state.settings
    shown = shown or case_page.read(db, principal, case.id, recent_days=settings.recent_case_days)
    handling, generation, party_rows, records, mediators = (
        shown.handling,
        shown.generation,
        shown.parties,
        shown.records,
        shown.mediators,
    )
    works = not case.in_transfer and case.archived_at is None  # a filed case is frozen: no actions, forms or uploads
    revealed = parties.reveal(db, principal, case, reveal, address=address_of(request)) if reveal is not None else None
    can_assign = works and can_act(principal, case, loop.ASSIGN_ROLES)
    facts = loop.Facts.of(records, mediators, party_rows)
    actions = [
        (t, loop.missing_for(db, case, t, facts))
        for t in available(case.state)
        if works and can_act(principal, case, t.roles)
    ]
    free = [
        RECORD_KINDS[k]
        for k, states in FREE_RECORDS.items()
        if works
        and case.state.value in states
        and can_act(principal, case, (Role.CLERK, *RECORD_ROLES) if k == "evaluation" else RECORD_ROLES)
    ]
    case_transfers = shown.transfers
    can_route = (
        works
        and case.state in transfers.ROUTABLE
        and can_act(principal, case, transfers.SEND_ROLES)
        and not any(t.state == TransferState.AWAITING_SIGNOFF for t in case_transfers)
    )
    database = freshness.database_of(db)
    rows = [
        (
            t,
            db.get(Organisation, t.from_org_id),
            db.get(Organisation, t.to_org_id),
            {
                "sign": t.state == TransferState.AWAITING_SIGNOFF and signing.can_sign(principal, t),
                "resume": t.state == TransferState.RETURNED
                and t.answered_version == case.version
                and principal.has_role_over(t.from_path, *transfers.SEND_ROLES),
                "withdraw": t.state in (TransferState.AWAITING_SIGNOFF, TransferState.SENT)
                and principal.has_role_over(t.from_path, *transfers.SEND_ROLES),
                "answer": t.state == TransferState.SENT and principal.has_role_over(t.to_path, *transfers.ANSWER_ROLES),
            },
        )
        for t in case_transfers
    ]
    context = {
        "party_form": parties.PartyForm(),
        "party_errors": {},
        "mediator_errors": {},
        "transfer_form": {},
        "transfer_errors": {},
        "return_errors": {},
        "return_id": None,
        "message": None,
        **forms,
    }
    return page(
        request,
        "cases/show.html",
        title=case.number,
        nav="cases",
        crumbs=case_crumbs(request, case),
        status=status,
        case=case,
        org=handling,
        dispute_names=dict(service.dispute_choices(db)),
        party_rows=party_rows,
        revealed=revealed,
        can_reveal=parties.may_reveal(principal, case),
        flags=parties.repeat_flags(
            db, principal, case, parties=party_rows, numbers=shown.repeated, recent_days=settings.recent_case_days
        ),
        mediators=mediators,
        can_assign=can_assign,
        mediator_options=_CASE_CHOICES.get(
            ("mediators", database, case.org_path), generation.directory, lambda: service.mediator_choices(db, case)
        )
        if can_assign
        else [],
        can_edit_parties=works and case.state in OPEN_STATES and parties.can_reveal(principal, case),
        can_edit=works and case.state in OPEN_STATES and can_act(principal, case, service.EDIT_ROLES),
        records=records,
        kinds=RECORD_KINDS,
        actions=actions,
        free_records=free,
        transfers=rows,
        todo=[row for row in rows if row[3]["sign"] or row[3]["answer"] or row[3]["resume"]],
        can_route=can_route,
        targets=_CASE_CHOICES.get(
            ("targets", database, case.org_path, case.org_id),
            generation.directory,
            lambda: transfers.target_groups(db, case),
        )
        if can_route
        else [],
        transfer_kinds=TRANSFER_KINDS,
        events=shown.events,
        read_only=not principal.sees(case.org_path),
        deadline=deadline_of(case, clock.today(), settings.due_soon_days),
        mask_id=ids.mask_id,
        role_options=[(r, r) for r in PARTY_ROLES],
        kind_options=KIND_OPTIONS,
        id_type_options=list(ID_TYPES.items()),
        case_files=shown.files,
        identity_hidden=() if parties.can_reveal(principal, case) else files.IDENTITY_DOC_TYPES,
        doc_types=[(t, t) for t in files.DOC_TYPES],
        owner_options=[(p.name, f"{p.role}：{p.name}") for p in party_rows],
        upload_max_mb=settings.upload_max_mb,
        can_upload=works and can_act(principal, case, files.upload_roles(case)),
        can_remove=works and case.state not in files.LOCKED_STATES and can_act(principal, case, files.UPLOAD_ROLES),
        **context,
    )


_SCOPE_CHOICES = (
    freshness.Remembered()
)  # a scope's organisations and mediators for the filter, while the directory is unchanged


def _list_filter(
    db: Session, principal: Principal, params: dict[str, str], generation: freshness.Generation
) -> tuple[service.CaseFilter, list[str], dict]:
    """The filter from the query string; values that make no sense are dropped with a note, never an error."""
    notes: list[str] = []
    flt = service.CaseFilter(
        q=params.get("q", "").strip()[:50],
        sort="number" if params.get("sort") == "number" else "received",
        overdue=params.get("overdue") in ("1", "true", "on"),
    )
    org_opts, mediator_opts = _SCOPE_CHOICES.get(
        (freshness.database_of(db), tuple(principal.roots())),
        generation.directory,
        lambda: (
            [(str(oid), "　" * depth + name) for oid, name, depth in orgs.org_choices(db, principal)],
            [(str(pid), name) for pid, name in people.roster_choices(db, principal)],
        ),
    )
    options = {
        "state": [(s.value, s.label) for s in CaseState],
        "dispute_type": service.dispute_choices(db),
        "channel": [(c, c) for c in CHANNELS],
        "tier": list(TIER_LABELS.items()),
        "org": org_opts,
        "mediator": mediator_opts,
    }
    labels = {
        "state": "状态",
        "dispute_type": "纠纷类型",
        "channel": "来源渠道",
        "tier": "机构层级",
        "org": "办理机构",
        "mediator": "调解员",
    }
    for key, label in labels.items():
        value = params.get(key, "")
        if key == "mediator" and value.isdigit() and 0 < int(value) < 2**31:
            pass  # a statistic's row may name a mediator from above the viewer's scope: the filter only narrows
        elif value and value not in {v for v, _ in options[key]}:
            notes.append(f"“{label}”的筛选值无效，已忽略。")
            value = ""
        if key in ("org", "mediator"):
            setattr(flt, f"{key}_id", int(value) if value else None)
        elif value:
            setattr(flt, key, value)
    _alert_filters(flt, params, notes)
    for key, label in (("date_from", "收到日期（起）"), ("date_to", "收到日期（止）")):
        try:
            setattr(flt, key, inputs.day(params[key], label=label) if params.get(key) else None)
        except inputs.BadInput:  # not a date, or outside 1900–2100
            notes.append(f"“{label}”不是有效日期，已忽略。")
    drilldown.read_params(flt, params, notes)
    return flt, notes, options


def _alert_filters(flt: service.CaseFilter, params: dict[str, str], notes: list[str]) -> None:
    """The filters an early-warning alert links with (ids, flag; org_only as a statistic's): not in the form, shown
    above the list."""
    raw_ids = [v.strip() for v in params.get("ids", "").split(",") if v.strip()]
    if any(not v.isdigit() for v in raw_ids) or len(raw_ids) > service.MAX_IDS:
        notes.append("“指定案件”的筛选值无效，已忽略。")
    else:
        flt.ids = tuple(sorted({int(v) for v in raw_ids}))
    if params.get("flag") and params["flag"] not in service.FLAGS:
        notes.append("“标记”的筛选值无效，已忽略。")
    elif params.get("flag"):
        flt.flag = params["flag"]


def alert_filter_labels(flt: service.CaseFilter) -> list[str]:
    """What the alert filters narrow the list to, in words."""
    labels = [f"指定的 {len(flt.ids)} 件案件"] if flt.ids else []
    if flt.flag:
        labels.append(service.FLAGS[flt.flag][0])
    if flt.org_only and flt.org_id is not None and not flt.indicator:
        labels.append("只含本级办理，不含下级")
    return labels


class CaseController(Controller):
    path = "/cases"

    # Every handler that reads the database runs in the worker's threads (STYLE §12), the two busiest pages too:
    # run on the event loop they once saved a thread hand-off, and under load deadlocked the worker (issue 12).
    @get("/", name="list_cases", sync_to_thread=True)
    def list_cases(self, request: Request, db: Db) -> Template:
        principal = me(request)
        raw = {k: str(v) for k, v in request.query_params.items()}
        number = max(1, int_or_none(raw.get("page")) or 1)
        # The kept counts, transfers and choices are used under the generation this worker saw last, and the page's
        # own statement says whether it still holds; when it does not, everything is worked out again under the new one.
        generation: freshness.Generation | None = freshness.assumed(db)
        for _attempt in range(2):
            flt, notes, options = _list_filter(db, principal, raw, generation)
            flt.recent_days = request.app.state.settings.recent_case_days
            result = service.list_cases(
                db,
                principal,
                flt,
                page=number,
                size=request.app.state.settings.page_size,
                today=clock.today(),
                generation=generation,
            )
            if result.generation == generation:
                break
            generation = result.generation
        params = {k: v for k, v in raw.items() if k != "page" and v}

        def link(**changes: Any) -> str:
            merged = {k: v for k, v in {**params, **changes}.items() if v not in ("", None)}
            return f"{request.url.path}?{urlencode(merged)}"

        pager = {
            "number": result.number,
            "total": result.total,
            "has_prev": result.has_prev,
            "has_next": result.has_next,
            "prev_url": link(page=result.number - 1),
            "next_url": link(page=result.number + 1),
        }
        rows = list_rows(
            result.rows,
            href=case_links(request),
            type_names=dict(options["dispute_type"]),
            today=clock.today(),
            soon_days=request.app.state.settings.due_soon_days,
        )
        return page(
            request,
            "cases/list.html",
            partial="cases/_table.html",
            title="案件",
            nav="cases",
            crumbs=[("案件", None)],
            rows=rows,
            chips=state_chips(result.counts, link),
            total=sum(result.counts.values()),
            all_href=link(state="", page=""),
            pager=pager,
            params=params,
            notes=notes,
            filter_options=options,
            narrowed=alert_filter_labels(flt),
            can_intake=bool(principal.roots(*service.INTAKE_ROLES)),
            drill=drilldown.note(flt, link),
        )

    def _intake(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        *,
        form: service.CaseForm,
        blocks: list,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
    ) -> Template:
        return page(
            request,
            "cases/form.html",
            title="登记案件（一窗受理）",
            nav="cases",
            status=status,
            crumbs=[("案件", request.app.route_reverse("list_cases")), ("登记", None)],
            form=form,
            blocks=blocks,
            case=None,
            errors=errors or {},
            message=message,
            latest=None,
            **self._choices(db, principal),
        )

    @staticmethod
    def _choices(db: Session, principal: Principal) -> dict:
        return {
            "channel_options": [(c, c) for c in CHANNELS],
            "dispute_options": service.dispute_choices(db),
            "org_options": [
                (str(o.id), o.name)
                for o in orgs.visible_orgs(db, principal, include_inactive=False)
                if principal.has_role_over(o.path, *service.INTAKE_ROLES)
            ],
            "role_options": [(r, r) for r in PARTY_ROLES],
            "kind_options": KIND_OPTIONS,
            "id_type_options": list(ID_TYPES.items()),
        }

    @get("/new", name="new_case_form", sync_to_thread=True)
    def new_case_form(self, request: Request, db: Db, org: FromQuery[str] = "") -> Template:
        principal = me(request)
        org_id = inputs.id_or_none(org)
        chosen = principal.visible_org(db, org_id) if org_id is not None else None
        if not principal.roots(*service.INTAKE_ROLES) or (
            chosen and not principal.has_role_over(chosen.path, *service.INTAKE_ROLES)
        ):
            raise Forbidden("只有受理员、调解员和调委会主任可以登记案件。")
        form = service.CaseForm(org_id=str(chosen.id) if chosen else "", received_on=clock.today().isoformat())
        return self._intake(request, db, principal, form=form, blocks=party_forms())

    @post("/", name="create_case", sync_to_thread=True)
    def create_case(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = me(request)
        form = form_of(service.CaseForm, data)
        try:
            case = service.intake(
                db, principal, form, parties=parties.parties_from_form(data), address=address_of(request)
            )
        except Invalid as exc:
            db.rollback()
            return self._intake(
                request,
                db,
                principal,
                form=form,
                blocks=party_forms(data),
                errors=exc.errors,
                message=exc.message,
                status=422,
            )
        flags = parties.repeat_flags(db, principal, case, recent_days=request.app.state.settings.recent_case_days)
        if flags:
            names = "、".join(
                f"{f.party.name}（另有 {len(f.visible) + f.hidden} 件{'，含越级访' if f.skipped else ''}）"
                for f in flags
            )
            what = "越级访" if any(f.skipped for f in flags) else "重复访"
            return redirect(
                request,
                case_url(request, case.id),
                level="warning",
                message=f"已登记 {case.number}。{what}提示：{names}涉及其他在办或近期案件，请核查。",
            )
        return redirect(request, case_url(request, case.id), message=f"已登记案件：{case.number}")

    @get("/{case_id:int}", name="show_case", sync_to_thread=True, opt={"writes": reveals})
    def show_case(self, request: Request, db: Db, case_id: FromPath[int], reveal: FromQuery[str] = "") -> Template:
        principal = me(request)
        shown = case_page.read(db, principal, case_id, recent_days=request.app.state.settings.recent_case_days)
        return render_case(request, db, principal, shown.case, reveal=int_or_none(reveal), shown=shown)

    def _edit(
        self,
        request: Request,
        db: Session,
        case: Case,
        *,
        form: service.CaseForm,
        errors: dict | None = None,
        message: str | None = None,
        status: int = 200,
        latest: Case | None = None,
    ) -> Template:
        return page(
            request,
            "cases/form.html",
            title=f"修改：{case.number}",
            nav="cases",
            status=status,
            form=form,
            blocks=[],
            crumbs=case_crumbs(request, case, ("修改", None)),
            case=case,
            errors=errors or {},
            message=message,
            latest=latest,
            dispute_names=dict(service.dispute_choices(db)),
            **self._choices(db, me(request)),
        )

    @get("/{case_id:int}/edit", name="edit_case_form", sync_to_thread=True)
    def edit_case_form(self, request: Request, db: Db, case_id: FromPath[int]) -> Template:
        principal = me(request)
        case = get_case(db, principal, case_id)
        if not can_act(principal, case, service.EDIT_ROLES) or case.in_transfer or case.state not in OPEN_STATES:
            raise Forbidden("您不能修改该案件的基本信息（须为办理机构的工作人员，且案件在办、未在移送中）。")
        return self._edit(request, db, case, form=service.CaseForm.of(case))

    @post("/{case_id:int}/edit", name="update_case", sync_to_thread=True)
    def update_case(self, request: Request, db: Db, case_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = me(request)
        form = form_of(service.CaseForm, data)
        result = save_edit(
            db,
            form,
            save=lambda: service.update_case(db, principal, case_id, form, address=address_of(request)),
            reload=lambda: get_case(db, principal, case_id),
            rerender=lambda obj, **kw: self._edit(request, db, obj, form=form, **kw),
        )
        if isinstance(result, Template):
            return result
        return redirect(request, case_url(request, result.id), message="已保存修改。")

    @post("/{case_id:int}/parties", name="add_party", sync_to_thread=True)
    def add_party(self, request: Request, db: Db, case_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = me(request)
        case = get_case(db, principal, case_id)
        form = parties.parties_from_form(data, count=1)[0]
        try:
            party = parties.add_party(db, principal, case, form, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            errors = {f"p0_{k}": v for k, v in exc.errors.items()}
            return render_case(
                request, db, principal, case, status=422, party_form=form, party_errors=errors, message=exc.message
            )
        return redirect(request, case_url(request, case.id) + "#parties", message=f"已增加当事人：{party.name}")

    @post("/{case_id:int}/parties/{party_id:int}/delete", name="remove_party", sync_to_thread=True)
    def remove_party(self, request: Request, db: Db, case_id: FromPath[int], party_id: FromPath[int]) -> Redirect:
        principal = me(request)
        case = get_case(db, principal, case_id)
        parties.remove_party(db, principal, case, party_id, address=address_of(request))
        return redirect(request, case_url(request, case.id) + "#parties", message="已删除当事人。")

    @post("/{case_id:int}/mediators", name="assign_mediator", sync_to_thread=True)
    def assign_mediator(self, request: Request, db: Db, case_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = me(request)
        case = get_case(db, principal, case_id)
        try:
            loop.assign_mediator(
                db,
                principal,
                case,
                int_or_none(str(data.get("person_id", ""))) or 0,
                choices=service.mediator_choices(db, case),
                lead=bool(data.get("lead")),
                address=address_of(request),
            )
        except Invalid as exc:
            db.rollback()
            return render_case(
                request, db, principal, case, status=422, mediator_errors=exc.errors, message=exc.message
            )
        return redirect(request, case_url(request, case.id) + "#mediators", message="已指派调解员。")

    @post("/{case_id:int}/mediators/{assignment_id:int}/delete", name="unassign_mediator", sync_to_thread=True)
    def unassign_mediator(
        self, request: Request, db: Db, case_id: FromPath[int], assignment_id: FromPath[int]
    ) -> Template | Redirect:
        principal = me(request)
        case = get_case(db, principal, case_id)
        try:
            loop.unassign_mediator(db, principal, case, assignment_id, address=address_of(request))
        except Invalid as exc:
            db.rollback()
            return render_case(
                request, db, principal, case, status=422, mediator_errors=exc.errors, message=exc.message
            )
        return redirect(request, case_url(request, case.id) + "#mediators", message="已撤回调解员。")
