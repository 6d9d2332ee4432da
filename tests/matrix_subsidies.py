"""个案补贴 routes in the permission matrix (tests/test_permissions.py).

Claims are read by directors, 督导 and administrators over the case, and by the mediators who share in them (a
clerk or an archivist finds nothing: 404); a village's claims are 404 to another county. The director's step is the
director's, the 司法局's step a 督导's. Tariffs are set by administrators of a supervising body or centre; batches
are made and read by the paying body's 督导 and administrators.
"""

from __future__ import annotations

from datetime import date

from factories import World
from matrix_cases import _cached
from sqlmodel import Session, select
from subsidy_world import filed_case, insert_tariff
from test_permissions import Route

from portal import clock
from portal.people.models import Role
from portal.subsidies.models import Claim, ClaimShare, ClaimState, PaymentBatch, Tariff

M, D, S, ADM = Role.MEDIATOR, Role.DIRECTOR, Role.SUPERVISOR, Role.ADMIN
READERS = (M, D, S, ADM)
PAYERS = (S, ADM)
SIDES = {"in": ("a", "a1a_g", "a.mediator"), "out": ("b", "b1", "b1.mediator")}


def seen_by(roles: tuple[Role, ...], ok: int):  # noqa: ANN201
    """Objects only `roles` find (others inside the scope get 404, as everyone outside it)."""
    return lambda role, side: ok if side == "in" and role in roles else 404


def _tariff(db: Session, w: World, side: str) -> None:
    payer = w.org(SIDES[side][0])
    if db.exec(select(Tariff.id).where(Tariff.org_id == payer.id)).first() is None:
        insert_tariff(db, w, org=SIDES[side][0])
        db.commit()


def case_id(db: Session, w: World, side: str, key: str) -> int:
    """A filed case of the side, made (with its tariff) on first use for `key`."""
    cache = _cached(w)
    if ("subsidy", key, side) not in cache:
        _tariff(db, w, side)
        _payer, org, mediator = SIDES[side]
        cache[("subsidy", key, side)] = filed_case(db, w, org, mediators=(mediator,)).id
    return cache[("subsidy", key, side)]


def claim_id(db: Session, w: World, side: str, key: str, state: ClaimState = ClaimState.DIRECTOR) -> int:
    """A claim of the side's case in `state` (written straight to the database: the services are tested elsewhere)."""
    cache = _cached(w)
    if ("claim", key, side) not in cache:
        cid = case_id(db, w, side, key)
        tariff = db.exec(select(Tariff.id, Tariff.org_id).where(Tariff.org_id == w.org(SIDES[side][0]).id)).first()
        claim = Claim(
            case_id=cid,
            tariff_id=tariff[0],
            payer_id=tariff[1],
            outcome="written",
            grade="general",
            proposed_grade="general",
            base_amount="150.10",
            ratio="1",
            amount="150.10",
            state=state,
            needs_office=False,
            approved_on=clock.today() if state is ClaimState.APPROVED else None,
        )
        db.add(claim)
        db.flush()
        db.add(
            ClaimShare(claim_id=claim.id, person_id=w.person(SIDES[side][2]).id, person_name="调解员", amount="150.10")
        )
        db.commit()
        cache[("claim", key, side)] = claim.id
    return cache[("claim", key, side)]


def batch_id(db: Session, w: World, side: str) -> int:
    cache = _cached(w)
    if ("batch", side) not in cache:
        batch = PaymentBatch(org_id=w.org(SIDES[side][0]).id, month="2020-01", claims=0, total="0")
        db.add(batch)
        db.commit()
        cache[("batch", side)] = batch.id
    return cache[("batch", side)]


def decide_form(state: ClaimState, key: str):  # noqa: ANN201
    def data(db: Session, w: World, side: str) -> dict:
        claim = db.get(Claim, claim_id(db, w, side, key, state))
        return {"decision": "approve", "grade": claim.grade, "reason": "", "version": str(claim.version)}

    return data


def make_form(db: Session, w: World, side: str) -> dict:
    claim_id(db, w, side, "to-pay", ClaimState.APPROVED)
    return {"org_id": str(w.org(SIDES[side][0]).id), "month": clock.today().strftime("%Y-%m")}


def tariff_form(db: Session, w: World, side: str) -> dict:
    rates = {f"rate_{g}": str(100 * (n + 1)) for n, g in enumerate(("simple", "general", "difficult", "major"))}
    return {
        "org_id": str(w.org(SIDES[side][0]).id),
        "effective_from": "2021-06-01",
        **rates,
        "oral_ratio": "0.5",
        "require_performed": "1",
    }


def _claim_url(tail: str = "", key: str = "read", state: ClaimState = ClaimState.DIRECTOR):  # noqa: ANN202
    return lambda db, w, s: f"/subsidies/claims/{claim_id(db, w, s, key, state)}{tail}"


def _batch_url(tail: str = ""):  # noqa: ANN202
    return lambda db, w, s: f"/subsidies/batches/{batch_id(db, w, s)}{tail}"


ROUTES = [
    Route("list_claims", "GET", None, "any", lambda w, s: "/subsidies"),
    Route("subsidy_totals", "GET", None, "any", lambda w, s: f"/subsidies/totals?year={date.today().year}"),
    Route("list_tariffs", "GET", None, "any", lambda w, s: "/subsidies/tariffs"),
    Route("list_batches", "GET", None, "any", lambda w, s: "/subsidies/batches"),
    Route(
        "new_claim_form",
        "GET",
        "case",
        "any",
        lambda db, w, s: f"/subsidies/claims/new?case={case_id(db, w, s, 'form')}",
    ),
    Route("show_claim", "GET", "claim", READERS, _claim_url(), expect=seen_by(READERS, 200)),
    Route("new_tariff_form", "GET", None, (ADM,), lambda w, s: "/subsidies/tariffs/new"),
    Route("show_batch", "GET", "batch", PAYERS, _batch_url(), expect=seen_by(PAYERS, 200)),
    Route("batch_excel", "GET", "batch", PAYERS, _batch_url("/sheet.xlsx"), expect=seen_by(PAYERS, 200)),
    Route("batch_pdf", "GET", "batch", PAYERS, _batch_url("/sheet.pdf"), expect=seen_by(PAYERS, 200)),
    Route(
        "create_claim",
        "POST",
        "case",
        (M, D),
        lambda w, s: "/subsidies/claims",
        lambda db, w, s: {"case_id": str(case_id(db, w, s, "create")), "grade": "general", "note": ""},
        ok=303,
    ),
    Route(
        "decide_claim",
        "POST",
        "claim",
        (D,),
        _claim_url("/decide", "director"),
        decide_form(ClaimState.DIRECTOR, "director"),
        ok=303,
        expect=lambda role, side: 404 if side == "out" or role not in READERS else (303 if role is D else 403),
    ),
    Route(
        "decide_claim",
        "POST",
        "claim",
        (S,),
        _claim_url("/decide", "bureau", ClaimState.BUREAU),
        decide_form(ClaimState.BUREAU, "bureau"),
        ok=303,
        expect=lambda role, side: 404 if side == "out" or role not in READERS else (303 if role is S else 403),
    ),
    Route("create_tariff", "POST", "org", (ADM,), lambda w, s: "/subsidies/tariffs", tariff_form, ok=303),
    Route("make_batch", "POST", "org", PAYERS, lambda w, s: "/subsidies/batches", make_form, ok=303),
    Route(
        "mark_batch_paid",
        "POST",
        "batch",
        PAYERS,
        _batch_url("/paid"),
        lambda db, w, s: {"version": str(db.get(PaymentBatch, batch_id(db, w, s)).version)},
        ok=303,
        expect=seen_by(PAYERS, 303),
    ),
]
