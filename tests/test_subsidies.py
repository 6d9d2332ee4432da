"""个案补贴 through the services on both databases: who claims, the chain of three approvals with a regrade and a
refusal, a case claimed once only, the batch with the yearly cap, the Excel and PDF 发放表 totals, exact decimals."""

from __future__ import annotations

import io
import json
import random
from datetime import date
from decimal import Decimal

import pytest
from factories import build_world
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session, select
from subsidy_world import add_office, add_tariff, filed_case, person

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.errors import Conflict, Forbidden, Invalid
from portal.scope import load_principal
from portal.subsidies import batches, claims, money, reading, sheets
from portal.subsidies.models import Claim, ClaimShare, ClaimState, PaymentBatch


def who(db: Session, world, key: str):  # noqa: ANN001, ANN201
    return load_principal(db, person(db, world, key))


def decide(engine, world, key: str, claim_id: int, decision: str = "approve", grade: str = "", reason: str = ""):  # noqa: ANN001, ANN201
    with transaction(engine) as db:
        claim = db.get(Claim, claim_id)
        return claims.decide(
            db,
            who(db, world, key),
            claim_id,
            decision=decision,
            grade=grade or claim.grade,
            reason=reason,
            version=str(claim.version),
            today=date.today(),
        )


@pytest.fixture
def county(engine):  # noqa: ANN001, ANN201
    world = build_world(engine)
    add_office(engine, world)
    add_tariff(engine, world, cap=Decimal("250.00"))
    return world


def test_a_claim_goes_through_three_approvals_with_a_regrade_and_into_a_capped_batch(engine, county) -> None:
    w = county
    with Session(engine) as db:
        case = filed_case(db, w, mediators=("a1.mediator", "a1a.grid"))
    with transaction(engine) as db:
        claim = claims.create(db, who(db, w, "a1.mediator"), case.id, grade="general", note="两次调解")
        assert claim.amount == Decimal("150.10") and claim.needs_office and claim.state is ClaimState.DIRECTOR
        shares = [s.amount for s in reading.shares_of(db, claim)]
        assert shares == [Decimal("75.05"), Decimal("75.05")]
    with pytest.raises(Forbidden):  # the 司法所 cannot take the director's step
        decide(engine, w, "a1.office", claim.id)
    with pytest.raises(Invalid):  # a regrade needs its reason
        decide(engine, w, "a.director", claim.id, grade="difficult")
    assert decide(engine, w, "a.director", claim.id).state is ClaimState.OFFICE
    regraded = decide(engine, w, "a1.office", claim.id, grade="difficult", reason="涉及三户，调解三次")
    assert regraded.state is ClaimState.BUREAU and regraded.amount == Decimal("200.20")
    assert decide(engine, w, "a.supervisor", claim.id).state is ClaimState.APPROVED
    with Session(engine) as db:
        assert sorted(s.amount for s in reading.shares_of(db, db.get(Claim, claim.id))) == [Decimal("100.10")] * 2

    # a second claim of both (重大 300: 150 each), so the yearly cap of 250 bites: each has 100.10 this year already
    with Session(engine) as db:
        second = filed_case(db, w, mediators=("a1a.grid", "a1.mediator"))
    with transaction(engine) as db:
        other = claims.create(db, who(db, w, "a.director"), second.id, grade="major")
    for key in ("a.director", "a1.office", "a.supervisor"):
        decide(engine, w, key, other.id)
    month = date.today().strftime("%Y-%m")
    with transaction(engine) as db:
        batch = batches.make(db, who(db, w, "a.supervisor"), w.org("a").id, month)
    with Session(engine) as db:
        paid = {
            (s.claim_id, s.person_name): s.paid
            for s in db.exec(select(ClaimShare).where(ClaimShare.claim_id.in_([claim.id, other.id]))).all()
        }
        assert paid[(other.id, "桃花网格员")] == paid[(other.id, "东镇调解员")] == Decimal("149.90")  # 250 − 100.10
        assert paid[(claim.id, "桃花网格员")] == Decimal("100.10")
        batch = db.get(PaymentBatch, batch.id)
        assert batch.total == Decimal("500.00") and batch.claims == 2
        assert {c.state for c in db.exec(select(Claim)).all()} == {ClaimState.BATCHED}
        lines = batches.lines(db, batch)
        sheet = sheets.sheet_of(batch, db.get(type(w.org("a")), w.org("a").id), lines)
        totals = batches.year_totals(db, who(db, w, "a.supervisor"), int(month[:4]))
        grid = next(t for t in totals if t.name == "桃花网格员")
        assert grid.paid == Decimal("250.00") and grid.entitled == Decimal("250.10")
        mine = batches.year_totals(db, who(db, w, "a1a.grid"), int(month[:4]))
        assert [t.name for t in mine] == ["桃花网格员"]  # a mediator sees their own line only

    book = load_workbook(io.BytesIO(sheets.excel(sheet)))
    ws = book.active
    total_row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计")
    assert Decimal(str(total_row[8])) == Decimal("500.20") and Decimal(str(total_row[9])) == Decimal("500.00")
    people = [r[7] for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert sorted(people) == sorted(["东镇调解员", "桃花网格员"] * 2)
    text = "".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(sheets.pdf(sheet, variant="pdf/a-3b", position="top-right"))).pages
    )
    assert "500.00" in text and "500.20" in text and "领取人签字" in text and "单位负责人" in text

    with transaction(engine) as db, pytest.raises(Conflict):  # no second batch of the month
        batches.make(db, who(db, w, "a.supervisor"), w.org("a").id, month)
    with Session(engine) as db:
        actions = [e.action for e in db.exec(select(AuditEntry).where(AuditEntry.object_type == "subsidy_claim")).all()]
        assert actions.count("subsidy.claim") == 2 and actions.count("subsidy.approve") == 6


def test_a_case_is_claimed_once_and_refused_claims_stay_refused(engine, county) -> None:
    w = county
    with Session(engine) as db:
        case = filed_case(db, w)
    with transaction(engine) as db:
        claim = claims.create(db, who(db, w, "a1.mediator"), case.id, grade="simple")
    with transaction(engine) as db, pytest.raises(Conflict, match="只能申报一次"):
        claims.create(db, who(db, w, "a.director"), case.id, grade="major")
    with pytest.raises(Invalid):
        decide(engine, w, "a.director", claim.id, decision="refuse")  # a refusal needs its reason
    assert (
        decide(engine, w, "a.director", claim.id, decision="refuse", reason="卷宗材料不全").state is ClaimState.REFUSED
    )
    with pytest.raises(Conflict):
        decide(engine, w, "a.director", claim.id)


def test_only_filed_performed_cases_with_a_tariff_may_claim_and_only_their_people(engine, county) -> None:
    w = county
    with Session(engine) as db:
        unfiled = filed_case(db, w, filed=False)
        unperformed = filed_case(db, w, performed=False)
        failed = filed_case(db, w, outcome="failed")
        other = filed_case(db, w)
    for case, reason in ((unfiled, "立卷"), (unperformed, "全部履行"), (failed, "调解不成")):
        with transaction(engine) as db, pytest.raises(Invalid) as refused:
            claims.create(db, who(db, w, "a1.mediator"), case.id, grade="simple")
        assert reason in refused.value.errors["case_id"]
    with transaction(engine) as db, pytest.raises(Forbidden):
        claims.create(db, who(db, w, "a.clerk"), other.id, grade="simple")
    with Session(engine) as db:
        claimable = {c.id for c in reading.claimable_cases(db, who(db, w, "a1.mediator"))}
        assert other.id in claimable and unfiled.id not in claimable


def test_an_oral_agreement_is_paid_at_the_tariffs_ratio(engine, county) -> None:
    with Session(engine) as db:
        case = filed_case(db, county, outcome="oral")
    with transaction(engine) as db:
        claim = claims.create(db, who(db, county, "a1.mediator"), case.id, grade="general")
    assert claim.ratio == Decimal("0.5") and claim.amount == Decimal("75.05")  # 150.10 × 0.5


def test_amounts_are_exact_decimals_that_round_trip_and_add_up(engine, county) -> None:
    """0.1 + 0.2 is 0.3 here: amounts are stored and read back exactly on both databases, split to the fen, summed
    in Decimal."""
    rng = random.Random(18)
    for _ in range(40):
        amount = Decimal(rng.randint(0, 10**9)) / 100
        parts = money.split(amount, rng.randint(1, 7))
        assert sum(parts) == amount and max(parts) - min(parts) <= money.FEN
    tricky = [Decimal("0.1"), Decimal("0.2"), Decimal("0.7"), Decimal("99999999.99"), Decimal("1234567.89")]
    with Session(engine) as db:
        case = filed_case(db, county)
    with transaction(engine) as db:
        claim = claims.create(db, who(db, county, "a1.mediator"), case.id, grade="simple")
        share = reading.shares_of(db, claim)[0]
    for value in tricky:
        with transaction(engine) as db:
            row = db.get(ClaimShare, share.id)
            row.paid = value
            db.add(row)
        with Session(engine) as db:
            back = db.get(ClaimShare, share.id).paid
            assert back == value and isinstance(back, Decimal)
    assert batches.money_sum([Decimal("0.1"), Decimal("0.2")]) == Decimal("0.3")
    assert money.claim_amount(Decimal("150.10"), Decimal("0.3333")) == Decimal("50.03")
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "subsidy.claim")).first()
        assert json.loads(entry.changes)["amount"][1] == "100.00"
