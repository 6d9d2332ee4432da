"""A case is never paid twice, with several people at once, against the real server (`portal serve --workers 2`) on
SQLite and PostgreSQL: two claims of one case at once make one claim (the other told so in Chinese, 409), and two
approvals of one step at once decide it once. Many rounds (PORTAL_TEST_RACE_ROUNDS), as a round may not overlap; the
assertions read the database."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from factories import add_person, build_world
from sqlalchemy import func
from sqlmodel import Session, select
from subsidy_world import add_tariff, filed_case
from support.race import Person, at_once, portal_serve
from test_concurrency import _fresh_database

from portal.audit.models import AuditEntry
from portal.db import make_engine, transaction
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.subsidies.models import Claim, ClaimStep

ROUNDS = int(os.environ.get("PORTAL_TEST_RACE_ROUNDS", "20"))


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", marks=pytest.mark.xdist_group("race-sqlite")),
        pytest.param("postgresql", marks=pytest.mark.xdist_group("race-postgresql")),
    ],
)
def stage(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    where = tmp_path_factory.mktemp(f"subsidy-race-{request.param}")
    for url in _fresh_database(request, request.param, where):
        engine = make_engine(url)
        world = build_world(engine)
        with transaction(engine) as db:
            a1 = db.get(Organisation, world.org("a1").id)
            world.people["a1.director"] = add_person(db, "a1.director", "东镇主任", (a1, Role.DIRECTOR))
        add_tariff(engine, world)
        try:
            with portal_serve(url, where / "var") as served:
                people = {n: Person(served.url, n) for n in ("a1.mediator", "a.director", "a1.director")}
                try:
                    yield engine, world, people
                finally:
                    for person in people.values():
                        person.close()
        finally:
            engine.dispose()


def _count(engine, statement) -> int:  # noqa: ANN001
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(statement.subquery())).one()


def test_two_claims_of_one_case_at_once_make_one_claim(stage) -> None:  # noqa: ANN001
    engine, world, people = stage
    mediator, director = people["a1.mediator"], people["a.director"]
    for _ in range(ROUNDS):
        with Session(engine) as db:
            case = filed_case(db, world)
        form = {"case_id": str(case.id), "grade": "general", "note": ""}
        answers = at_once(
            lambda f=form: mediator.post("/subsidies/claims", f), lambda f=form: director.post("/subsidies/claims", f)
        )
        assert sorted(a.status_code for a in answers) == [303, 409], [a.status_code for a in answers]
        assert "只能申报一次" in next(a for a in answers if a.status_code == 409).text
        assert _count(engine, select(Claim.id).where(Claim.case_id == case.id)) == 1
        with Session(engine) as db:
            made = db.exec(select(Claim.id).where(Claim.case_id == case.id)).one()
        entries = select(AuditEntry.id).where(AuditEntry.action == "subsidy.claim", AuditEntry.object_id == str(made))
        assert _count(engine, entries) == 1


def test_two_approvals_of_one_step_at_once_decide_it_once(stage) -> None:  # noqa: ANN001
    engine, world, people = stage
    mediator, first, second = people["a1.mediator"], people["a.director"], people["a1.director"]
    for _ in range(ROUNDS):
        with Session(engine) as db:
            case = filed_case(db, world)
        assert mediator.post("/subsidies/claims", {"case_id": str(case.id), "grade": "simple"}).status_code == 303
        with Session(engine) as db:
            claim = db.exec(select(Claim).where(Claim.case_id == case.id)).one()
        forms = [
            {"decision": "approve", "grade": "simple", "reason": "", "version": str(claim.version)},
            {"decision": "approve", "grade": "major", "reason": "群体性纠纷，应按重大", "version": str(claim.version)},
        ]
        answers = at_once(
            lambda u=f"/subsidies/claims/{claim.id}/decide", f=forms[0]: first.post(u, f),
            lambda u=f"/subsidies/claims/{claim.id}/decide", f=forms[1]: second.post(u, f),
        )
        assert sorted(a.status_code for a in answers) == [303, 409], [a.status_code for a in answers]
        assert "已由他人审核" in next(a for a in answers if a.status_code == 409).text
        assert _count(engine, select(ClaimStep.id).where(ClaimStep.claim_id == claim.id)) == 1
        with Session(engine) as db:
            after = db.get(Claim, claim.id)
            step = db.exec(select(ClaimStep).where(ClaimStep.claim_id == claim.id)).one()
        assert after.version == claim.version + 1 and after.grade == step.grade_to  # the winner's grade, whole
        approvals = select(AuditEntry.id).where(
            AuditEntry.action == "subsidy.approve", AuditEntry.object_id == str(claim.id)
        )
        assert _count(engine, approvals) == 1
