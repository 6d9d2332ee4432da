"""个案补贴 pages: claims (list, new, one claim with its approval), tariffs, payment batches and yearly totals."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal import clock
from portal.audit import service as audit
from portal.cases import access
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import Principal
from portal.subsidies import batches, claims, money, reading, sheets, tariffs
from portal.subsidies.models import GRADES, STATE_LABELS, STEP_LABELS, ClaimState, Tariff
from portal.web.render import Db, address_of, form_of, int_or_none, page, principal_of, redirect, settings_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GRADE_OPTIONS = list(GRADES.items())
CRUMB = ("个案补贴", "/subsidies")


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


def _download(content: bytes, media_type: str, name: str, fallback: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


class SubsidyController(Controller):
    path = "/subsidies"

    @get("/", name="list_claims", sync_to_thread=True)
    def list_claims(
        self,
        request: Request,
        db: Db,
        org: FromQuery[str] = "",
        state_: Annotated[str, QueryParameter(name="state")] = "",
    ) -> Template:
        principal, state = _me(request), state_
        flt = reading.ClaimFilter(
            state=ClaimState(state) if state in ClaimState._value2member_map_ else None, org_id=int_or_none(org)
        )
        return page(
            request,
            "subsidies/list.html",
            partial="subsidies/_claims.html",
            title="个案补贴",
            nav="subsidies",
            crumbs=[(CRUMB[0], None)],
            rows=reading.list_claims(db, principal, flt),
            counts=reading.counts(db, principal),
            claimable=reading.claimable_cases(db, principal),
            state=state,
            org=org,
            state_options=[(s.value, label) for s, label in STATE_LABELS.items()],
            grades=GRADES,
            yuan=money.yuan,
            can_pay=bool(batches.payers(db, principal)),
            can_set=bool(tariffs.owner_orgs(db, principal)),
        )

    def _new(
        self,
        request: Request,
        db: Session,
        principal: Principal,
        case_id: int,
        *,
        errors=None,
        message=None,
        status=200,
        grade="general",
        note="",
    ) -> Template:  # noqa: ANN001
        case = access.get_case(db, principal, case_id)
        terms = claims.terms(db, case)
        rates = tariffs.rates_of(db, terms.tariff.id) if terms.tariff else {}
        return page(
            request,
            "subsidies/new.html",
            title=f"申报个案补贴：{case.number}",
            nav="subsidies",
            crumbs=[CRUMB, ("申报", None)],
            status=status,
            case=case,
            terms=terms,
            rates=rates,
            org=db.get(Organisation, case.org_id),
            tariff_org=db.get(Organisation, terms.tariff.org_id) if terms.tariff else None,
            grade_options=GRADE_OPTIONS,
            grades=GRADES,
            grade=grade,
            note=note,
            outcome=claims.OUTCOME_LABELS.get(case.outcome or "", "未调结"),
            errors=errors or {},
            message=message,
            yuan=money.yuan,
        )

    @get("/claims/new", name="new_claim_form", sync_to_thread=True)
    def new_claim_form(self, request: Request, db: Db, case: FromQuery[str] = "") -> Template:
        principal = _me(request)
        case_id = int_or_none(case)
        if case_id is None:
            raise access.not_found(0)
        return self._new(request, db, principal, case_id)

    @post("/claims", name="create_claim", sync_to_thread=True)
    def create_claim(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = _me(request)
        case_id = int_or_none(str(data.get("case_id", "")))
        if case_id is None:
            raise access.not_found(0)
        grade, note = str(data.get("grade", "")), str(data.get("note", ""))
        try:
            claim = claims.create(db, principal, case_id, grade=grade, note=note, address=address_of(request))
        except (Invalid, Conflict) as exc:
            db.rollback()
            status = 409 if isinstance(exc, Conflict) else 422
            errors = exc.errors if isinstance(exc, Invalid) else {}
            return self._new(
                request,
                db,
                principal,
                case_id,
                errors=errors,
                message=exc.message,
                status=status,
                grade=grade,
                note=note,
            )
        return redirect(
            request,
            request.app.route_reverse("show_claim", claim_id=claim.id),
            message=f"已申报个案补贴 {money.yuan(claim.amount)} 元，待{STEP_LABELS['director']}。",
        )

    def _show(self, request: Request, db: Session, principal: Principal, claim_id: int, **extra: Any) -> Template:
        claim, case = reading.get_claim(db, principal, claim_id)
        tariff = db.get(Tariff, claim.tariff_id)
        return page(
            request,
            "subsidies/show.html",
            title=f"个案补贴：{case.number}",
            nav="subsidies",
            crumbs=[CRUMB, (case.number, None)],
            claim=claim,
            case=case,
            case_visible=access.find_case(db, principal, case.id) is not None,
            org=db.get(Organisation, case.org_id),
            tariff=tariff,
            payer=db.get(Organisation, claim.payer_id),
            shares=reading.shares_of(db, claim),
            steps=reading.steps_of(db, claim),
            can_decide=claims.can_decide(principal, claim, case),
            step_label=STEP_LABELS.get(claims.STEPS.get(claim.state, ""), ""),
            step_labels=STEP_LABELS,
            grades=GRADES,
            grade_options=GRADE_OPTIONS,
            outcome=claims.OUTCOME_LABELS.get(claim.outcome, claim.outcome),
            yuan=money.yuan,
            errors=extra.pop("errors", {}),
            **extra,
        )

    @get("/claims/{claim_id:int}", name="show_claim", sync_to_thread=True)
    def show_claim(self, request: Request, db: Db, claim_id: FromPath[int]) -> Template:
        return self._show(request, db, _me(request), claim_id)

    @post("/claims/{claim_id:int}/decide", name="decide_claim", sync_to_thread=True)
    def decide_claim(self, request: Request, db: Db, claim_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = _me(request)
        fields = {k: str(data.get(k, "")) for k in ("decision", "grade", "reason", "version")}
        try:
            claim = claims.decide(db, principal, claim_id, **fields, today=clock.today(), address=address_of(request))
        except (Invalid, Conflict) as exc:
            db.rollback()
            status = 409 if isinstance(exc, Conflict) else 422
            errors = exc.errors if isinstance(exc, Invalid) else {}
            return self._show(
                request, db, principal, claim_id, errors=errors, message=exc.message, status=status, typed=fields
            )
        return redirect(
            request,
            request.app.route_reverse("show_claim", claim_id=claim.id),
            message=f"已办理：{claim.state.label}，{GRADES[claim.grade]}，{money.yuan(claim.amount)} 元。",
        )

    @get("/tariffs", name="list_tariffs", sync_to_thread=True)
    def list_tariffs(self, request: Request, db: Db) -> Template:
        principal = _me(request)
        return page(
            request,
            "subsidies/tariffs.html",
            title="补贴标准",
            nav="subsidies",
            crumbs=[CRUMB, ("补贴标准", None)],
            tariffs=tariffs.visible_tariffs(db, principal),
            grades=GRADES,
            yuan=money.yuan,
            can_set=bool(tariffs.owner_orgs(db, principal)),
        )

    def _tariff_form(self, request: Request, db: Session, principal: Principal, form, **extra: Any) -> Template:  # noqa: ANN001
        owners = tariffs.owner_orgs(db, principal)
        if not owners:
            raise Forbidden("只有司法局、司法所或矛调中心的管理员可以制定补贴标准。")
        return page(
            request,
            "subsidies/tariff_form.html",
            title="制定补贴标准",
            nav="subsidies",
            crumbs=[CRUMB, ("补贴标准", request.app.route_reverse("list_tariffs")), ("制定", None)],
            form=form,
            owner_options=[(str(o.id), o.name) for o in owners],
            grades=GRADES,
            errors=extra.pop("errors", {}),
            **extra,
        )

    @get("/tariffs/new", name="new_tariff_form", sync_to_thread=True)
    def new_tariff_form(self, request: Request, db: Db) -> Template:
        form = tariffs.TariffForm(effective_from=clock.today().replace(month=1, day=1).isoformat())
        return self._tariff_form(request, db, _me(request), form)

    @post("/tariffs", name="create_tariff", sync_to_thread=True)
    def create_tariff(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = _me(request)
        form = form_of(tariffs.TariffForm, data)
        if "require_performed" not in data:
            form.require_performed = ""
        try:
            made = tariffs.create(db, principal, form, today=clock.today(), address=address_of(request))
        except (Invalid, Conflict) as exc:
            db.rollback()
            status = 409 if isinstance(exc, Conflict) else 422
            errors = exc.errors if isinstance(exc, Invalid) else {}
            return self._tariff_form(request, db, principal, form, errors=errors, message=exc.message, status=status)
        return redirect(
            request,
            request.app.route_reverse("list_tariffs"),
            message=f"已制定{made.org.name}自 {made.tariff.effective_from} 起的补贴标准。",
        )

    @get("/batches", name="list_batches", sync_to_thread=True)
    def list_batches(self, request: Request, db: Db) -> Template:
        return self._batches(request, db, _me(request))

    def _batches(self, request: Request, db: Session, principal: Principal, **extra: Any) -> Template:
        payers = batches.payers(db, principal)
        return page(
            request,
            "subsidies/batches.html",
            title="补贴发放表",
            nav="subsidies",
            crumbs=[CRUMB, ("发放表", None)],
            batches=batches.visible_batches(db, principal),
            payers=payers,
            payer_options=[(str(o.id), o.name) for o in payers],
            month=extra.pop("month", clock.today().strftime("%Y-%m")),
            yuan=money.yuan,
            errors=extra.pop("errors", {}),
            **extra,
        )

    @post("/batches", name="make_batch", sync_to_thread=True)
    def make_batch(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = _me(request)
        org_id, month = int_or_none(str(data.get("org_id", ""))), str(data.get("month", ""))
        try:
            if org_id is None:
                raise Invalid({"org_id": "请选择付款机构。"})
            batch = batches.make(db, principal, org_id, month, address=address_of(request))
        except (Invalid, Conflict) as exc:
            db.rollback()
            status = 409 if isinstance(exc, Conflict) else 422
            errors = exc.errors if isinstance(exc, Invalid) else {}
            return self._batches(request, db, principal, errors=errors, message=exc.message, status=status, month=month)
        return redirect(
            request,
            request.app.route_reverse("show_batch", batch_id=batch.id),
            message=f"已编制 {batch.month} 发放表：{batch.claims} 件，合计 {money.yuan(batch.total)} 元。",
        )

    @get("/batches/{batch_id:int}", name="show_batch", sync_to_thread=True)
    def show_batch(self, request: Request, db: Db, batch_id: FromPath[int]) -> Template:
        principal = _me(request)
        batch, org = batches.get_batch(db, principal, batch_id)
        sheet = sheets.sheet_of(batch, org, batches.lines(db, batch))
        return page(
            request,
            "subsidies/batch.html",
            title=sheet.title,
            nav="subsidies",
            crumbs=[CRUMB, ("发放表", request.app.route_reverse("list_batches")), (batch.month, None)],
            batch=batch,
            sheet=sheet,
            yuan=money.yuan,
        )

    @post("/batches/{batch_id:int}/paid", name="mark_batch_paid", sync_to_thread=True)
    def mark_batch_paid(self, request: Request, db: Db, batch_id: FromPath[int], data: Form) -> Redirect:
        principal = _me(request)
        batch = batches.mark_paid(
            db,
            principal,
            batch_id,
            version=str(data.get("version", "")),
            today=clock.today(),
            address=address_of(request),
        )
        return redirect(request, request.app.route_reverse("show_batch", batch_id=batch.id), message="已确认发放。")

    def _sheet(self, request: Request, db: Session, batch_id: int, kind: str) -> tuple[sheets.Sheet, Organisation]:
        principal = _me(request)
        batch, org = batches.get_batch(db, principal, batch_id)
        sheet = sheets.sheet_of(batch, org, batches.lines(db, batch))
        audit.record(
            db,
            "export.subsidy_batch",
            actor=principal.person,
            org=org,
            object_type="subsidy_batch",
            object_id=batch.id,
            summary=f"导出补贴发放表（{kind}）：{org.name} {batch.month}",
            address=address_of(request),
        )
        return sheet, org

    @get("/batches/{batch_id:int}/sheet.xlsx", name="batch_excel", sync_to_thread=True, opt={"writes": True})
    def batch_excel(self, request: Request, db: Db, batch_id: FromPath[int]) -> Response:
        sheet, _org = self._sheet(request, db, batch_id, "Excel")
        return _download(sheets.excel(sheet), XLSX, f"{sheet.title}.xlsx", f"subsidy-{sheet.month}.xlsx")

    @get("/batches/{batch_id:int}/sheet.pdf", name="batch_pdf", sync_to_thread=True, opt={"writes": True})
    def batch_pdf(self, request: Request, db: Db, batch_id: FromPath[int]) -> Response:
        sheet, _org = self._sheet(request, db, batch_id, "PDF")
        settings = settings_of(request)
        content = sheets.pdf(sheet, variant=settings.dossier_pdf_variant, position=settings.dossier_page_numbers)
        return _download(content, "application/pdf", f"{sheet.title}.pdf", f"subsidy-{sheet.month}.pdf")

    @get("/totals", name="subsidy_totals", sync_to_thread=True)
    def subsidy_totals(self, request: Request, db: Db, year: FromQuery[str] = "") -> Template:
        principal = _me(request)
        chosen = int_or_none(year) or clock.today().year
        chosen = chosen if 2000 <= chosen <= 2100 else clock.today().year
        rows = batches.year_totals(db, principal, chosen)
        return page(
            request,
            "subsidies/totals.html",
            title=f"{chosen} 年调解员补贴合计",
            nav="subsidies",
            crumbs=[CRUMB, ("年度合计", None)],
            rows=rows,
            year=chosen,
            sums={k: batches.money_sum(getattr(r, k) for r in rows) for k in ("entitled", "paid", "pending")},
            yuan=money.yuan,
            me_only=not principal.roots(*batches.PAY_ROLES, Role.DIRECTOR, Role.HEAD),
        )
