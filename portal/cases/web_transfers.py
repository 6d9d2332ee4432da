"""Routing pages: draft a transfer from the case page, sign it off, withdraw, accept or return it; the queues' list."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal import clock
from portal.cases import queues, signing, transfers
from portal.cases.access import find_case, get_case
from portal.cases.models import TRANSFER_KINDS, Transfer, TransferState
from portal.cases.web import Form, case_url, me, render_case
from portal.errors import Conflict, Invalid
from portal.orgs.models import Organisation
from portal.web.render import Db, address_of, int_or_none, page, redirect


def _answer(
    request: Request, db: Session, transfer_id: int, step: Callable[[], Transfer], message: str, *, to_case: bool = True
) -> Template | Redirect:
    """Run one step of a transfer; a transfer someone else answered meanwhile re-renders the case page (409), or,
    when that answer took the case out of the person's sight (a colleague returned it), the 409 page says so."""
    principal = me(request)
    try:
        transfer = step()
    except Conflict as exc:
        db.rollback()
        answered = db.get(Transfer, transfer_id)
        case = find_case(db, principal, answered.case_id) if answered else None
        if case is None:
            raise
        return render_case(request, db, principal, case, status=409, message=exc.message)
    target = (
        case_url(request, transfer.case_id) + "#transfers" if to_case else request.app.route_reverse("list_transfers")
    )
    return redirect(request, target, message=message)


class TransferController(Controller):
    path = "/"

    @post("/cases/{case_id:int}/transfers", name="create_transfer", sync_to_thread=True)
    def create_transfer(self, request: Request, db: Db, case_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = me(request)
        case = get_case(db, principal, case_id)
        fields = {k: str(data.get(k, "")) for k in ("to_org_id", "kind", "letter")}
        try:
            transfer = transfers.create(
                db,
                principal,
                case,
                answer_days=request.app.state.settings.transfer_answer_days,
                address=address_of(request),
                **fields,
            )
        except Invalid as exc:
            db.rollback()
            return render_case(
                request,
                db,
                principal,
                case,
                status=422,
                transfer_form=fields,
                transfer_errors=exc.errors,
                message=exc.message,
            )
        if transfer.sent_at is not None:
            message = "移送函已发出（本机构无需另行审签），等待接收机构答复。"
        else:
            signer = db.get(Organisation, transfer.signer_org_id)
            message = f"移送函已拟好，待{signer.name}的负责人审签后发出。"
        return redirect(request, case_url(request, case.id) + "#transfers", message=message)

    @post("/transfers/{transfer_id:int}/sign-off", name="sign_off_transfer", sync_to_thread=True)
    def sign_off_transfer(self, request: Request, db: Db, transfer_id: FromPath[int]) -> Template | Redirect:
        days = request.app.state.settings.transfer_answer_days
        return _answer(
            request,
            db,
            transfer_id,
            lambda: transfers.sign_off(db, me(request), transfer_id, answer_days=days, address=address_of(request)),
            f"移送函已审签发出，接收机构应在 {days} 日内答复。",
        )

    @post("/transfers/{transfer_id:int}/withdraw", name="withdraw_transfer", sync_to_thread=True)
    def withdraw_transfer(self, request: Request, db: Db, transfer_id: FromPath[int]) -> Template | Redirect:
        return _answer(
            request,
            db,
            transfer_id,
            lambda: transfers.withdraw(db, me(request), transfer_id, address=address_of(request)),
            "已撤回移送。",
        )

    @post("/transfers/{transfer_id:int}/accept", name="accept_transfer", sync_to_thread=True)
    def accept_transfer(self, request: Request, db: Db, transfer_id: FromPath[int]) -> Template | Redirect:
        return _answer(
            request,
            db,
            transfer_id,
            lambda: transfers.accept(db, me(request), transfer_id, address=address_of(request)),
            "已接收移送的案件，本机构开始办理。",
        )

    @post("/transfers/{transfer_id:int}/return", name="return_transfer", sync_to_thread=True)
    def return_transfer(self, request: Request, db: Db, transfer_id: FromPath[int], data: Form) -> Template | Redirect:
        principal = me(request)
        reason = str(data.get("reason", ""))
        try:
            return _answer(
                request,
                db,
                transfer_id,
                lambda: transfers.return_(db, principal, transfer_id, reason=reason, address=address_of(request)),
                "已退回移送，理由已告知移送机构。",
                to_case=False,
            )
        except Invalid as exc:
            db.rollback()
            _, case = transfers.get_transfer(db, principal, transfer_id)
            return render_case(
                request,
                db,
                principal,
                case,
                status=422,
                return_errors=exc.errors,
                return_id=transfer_id,
                return_reason=reason,
                message=exc.message,
            )

    @post("/transfers/{transfer_id:int}/resume", name="resume_transfer", sync_to_thread=True)
    def resume_transfer(self, request: Request, db: Db, transfer_id: FromPath[int]) -> Template | Redirect:
        return _answer(
            request,
            db,
            transfer_id,
            lambda: queues.resume(db, me(request), transfer_id, address=address_of(request)),
            "已知悉退回理由，本机构继续办理。",
        )

    @get("/transfers", name="list_transfers", sync_to_thread=True)
    def list_transfers(self, request: Request, db: Db) -> Template:
        principal = me(request)
        today = clock.today()
        raw = {k: str(v).strip()[:50] for k, v in request.query_params.items()}
        flt = queues.TransferFilter(
            queue=raw.get("queue", "") if raw.get("queue") in queues.QUEUES else "",
            kind=raw.get("kind", "") if raw.get("kind") in TRANSFER_KINDS else "",
            state=raw.get("state", "") if raw.get("state") in TransferState._value2member_map_ else "",
            q=raw.get("q", ""),
        )
        number = max(1, int_or_none(raw.get("page")) or 1)
        result = queues.listing(db, principal, flt, today=today, page=number, size=request.app.state.settings.page_size)
        transfers_shown = [t for t, *_ in result.rows]
        return page(
            request,
            "transfers/list.html",
            partial="transfers/_table.html",
            title="移送",
            nav="transfers",
            crumbs=[("移送", None)],
            rows=result.rows,
            pager=result.links(request.url.path, {k: v for k, v in vars(flt).items() if v}),
            params={"queue": flt.queue, "kind": flt.kind, "state": flt.state, "q": flt.q},
            counts=queues.counts(db, principal, today),
            queue_labels=queues.QUEUES,
            kind_options=[(k, k) for k in TRANSFER_KINDS],
            state_options=[(s.value, s.label) for s in TransferState],
            answerable={
                t.id
                for t in transfers_shown
                if t.state == TransferState.SENT and principal.has_role_over(t.to_path, *transfers.ANSWER_ROLES)
            },
            signable={
                t.id
                for t in transfers_shown
                if t.state == TransferState.AWAITING_SIGNOFF and signing.can_sign(principal, t)
            },
            empty_text=f"没有{queues.QUEUES[flt.queue]}的移送。" if flt.queue else "没有符合条件的移送。",
            today=today,
        )
