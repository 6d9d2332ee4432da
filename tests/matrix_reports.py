"""The quick report, its per-unit route and 继续办理 of a returned transfer in the permission matrix."""

from __future__ import annotations

from factories import World
from matrix_cases import INTAKE, _cached, insert_case, intake_expect
from sqlmodel import Session, select
from test_permissions import ADMIN, Route

from portal.cases.models import Case, Transfer, TransferState


def report_form(db: Session, w: World, side: str) -> dict:
    return {
        "what": "两户因排水沟堵塞争吵",
        "place": "桃花村三组",
        "name": "赵某",
        "phone": "13900001111",
        "dispute_type": "02",
        "org_id": str(w.org("a" if side == "in" else "b1").id),
    }


def returned_transfer(db: Session, w: World, side: str) -> int:
    """A transfer a1a → a1 (in) or b1 → b (out) that came back and waits for its sender."""
    cache = _cached(w)
    if ("returned", side) not in cache:
        source, target = ("a1a", "a1") if side == "in" else ("b1", "b")
        case = insert_case(db, w, source, transfer=(source, target, TransferState.RETURNED))
        transfer = db.exec(select(Transfer).where(Transfer.case_id == case.id)).one()
        transfer.answer_reason, transfer.answered_version = "不属本辖区", db.get(Case, case.id).version
        db.add(transfer)
        db.commit()
        cache[("returned", side)] = transfer.id
    return cache[("returned", side)]


ROUTES = [
    Route("report_form", "GET", None, INTAKE, lambda w, s: "/report"),
    Route("submit_report", "POST", None, INTAKE, lambda w, s: "/report", report_form, ok=303, expect=intake_expect),
    Route(
        "report_route_form",
        "GET",
        "org",
        ADMIN,
        lambda w, s: f"/orgs/{w.org('a1a_g' if s == 'in' else 'b1').id}/report-route",
    ),
    Route(
        "set_report_route",
        "POST",
        "org",
        ADMIN,
        lambda w, s: f"/orgs/{w.org('a1a_g' if s == 'in' else 'b1').id}/report-route",
        lambda db, w, s: {"to": "self", "version": "0"},
        ok=303,
    ),
    Route(
        "resume_transfer",
        "POST",
        "case",
        INTAKE,
        lambda db, w, s: f"/transfers/{returned_transfer(db, w, s)}/resume",
        lambda db, w, s: {},
        ok=303,
    ),
]
