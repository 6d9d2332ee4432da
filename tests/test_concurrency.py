"""Several people acting on the same thing at the same moment, against the real server (`portal serve --workers 2`,
real HTTP, signed-in sessions with CSRF tokens) on SQLite and on PostgreSQL: one of them wins, the other is told
so (409 or the refusal SQLite always gave), and the database ends in the state the winner left — nothing lost,
nothing done twice. Each race runs many rounds (PORTAL_TEST_RACE_ROUNDS, default 20), as one round may well not
overlap; the assertions read the database, not only the status codes."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from factories import add_person, build_world
from matrix_cases import insert_case
from sqlalchemy import func
from sqlmodel import Session, select
from support.race import Person, at_once, portal_serve
from support.sqlite import copy_template
from test_dossiers import _ready_case as fileable_case

from portal import clock
from portal.audit.models import AuditEntry
from portal.cases.models import Case, CaseSequence, Transfer, TransferState
from portal.cases.service import CaseForm
from portal.db import make_engine, transaction
from portal.dossiers.models import BindingJob, DossierVersion
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.settings import Settings

ROUNDS = int(os.environ.get("PORTAL_TEST_RACE_ROUNDS", "20"))
FILING_ROUNDS = max(1, ROUNDS // 4)  # each filing binds a real PDF/A (seconds of CPU): fewer rounds
INTAKES = 20
LETTER = "移送理由：当事人均居住在乙县西镇，纠纷发生地也在该镇，由当地调委会调解更为便利。"


@dataclass
class Stage:
    """A served database with the test county, and the people who race on it."""

    engine: object
    world: object
    people: dict[str, Person]
    data_dir: Path

    def org_id(self, key: str) -> int:
        return self.world.org(key).id

    def case(self, org: str = "a1", **kwargs: object) -> Case:
        with Session(self.engine) as db:
            return insert_case(db, self.world, org, **kwargs)

    def read(self, model: type, row_id: int):  # noqa: ANN201
        with Session(self.engine) as db:
            row = db.get(model, row_id)
            db.expunge(row)
            return row

    def count(self, statement) -> int:  # noqa: ANN001
        with Session(self.engine) as db:
            return db.exec(select(func.count()).select_from(statement.subquery())).one()

    def audit(self, action: str, case_id: int | None = None) -> int:
        query = select(AuditEntry.id).where(AuditEntry.action == action)
        if case_id is not None:
            query = query.where(AuditEntry.object_type == "case", AuditEntry.object_id == str(case_id))
        return self.count(query)


def _fresh_database(request: pytest.FixtureRequest, backend: str, where: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield copy_template(request.getfixturevalue("sqlite_template"), where / "var" / "portal.sqlite3")
        return
    server = request.getfixturevalue("pg_server")
    name = server.new_database_name("race")
    try:
        yield server.create_database(name, template="portal_template")
    finally:
        server.drop_database(name)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", marks=pytest.mark.xdist_group("race-sqlite")),
        pytest.param("postgresql", marks=pytest.mark.xdist_group("race-postgresql")),
    ],
)
def stage(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    where = tmp_path_factory.mktemp(f"race-{request.param}")
    for url in _fresh_database(request, request.param, where):
        engine = make_engine(url)
        world = build_world(engine)
        with transaction(engine) as db:
            o = {key: db.get(Organisation, org.id) for key, org in world.orgs.items()}
            add_person(db, "a1.director", "东镇主任", (o["a1"], Role.DIRECTOR))
            add_person(db, "a1.archivist", "东镇档案员", (o["a1"], Role.ARCHIVIST))
            add_person(db, "b1.clerk", "西镇受理员", (o["b1"], Role.CLERK))
            add_person(db, "b1.director", "西镇主任", (o["b1"], Role.DIRECTOR))
        try:
            with portal_serve(url, where / "var") as served:
                names = ["a.clerk", "a.director", "a.mediator", "a1.director", "a.archivist", "a1.archivist"]
                people = {name: Person(served.url, name) for name in [*names, "b1.clerk", "b1.director"]}
                try:
                    yield Stage(engine, world, people, where / "var")
                finally:
                    for person in people.values():
                        person.close()
        finally:
            engine.dispose()


def _codes(*answers) -> list[int]:  # noqa: ANN002
    return sorted(a.status_code for a in answers)


def test_two_edits_of_one_case_at_once_save_one_and_show_the_other_what_was_saved(stage: Stage) -> None:
    clerk, director = stage.people["a.clerk"], stage.people["a.director"]
    for n in range(ROUNDS):
        case = stage.case()
        form = dataclasses.asdict(CaseForm.of(case))
        mine, theirs = {**form, "title": f"受理员改的标题{n}"}, {**form, "title": f"主任改的标题{n}"}
        answers = at_once(
            lambda c=case, d=mine: clerk.post(f"/cases/{c.id}/edit", d),
            lambda c=case, d=theirs: director.post(f"/cases/{c.id}/edit", d),
        )
        assert _codes(*answers) == [303, 409], [a.status_code for a in answers]
        won, lost = (mine, answers[1]) if answers[0].status_code == 303 else (theirs, answers[0])
        saved = stage.read(Case, case.id)
        assert saved.title == won["title"] and saved.version == case.version + 1  # one edit, not two, none lost
        assert won["title"] in lost.text and "已被他人修改" in lost.text  # the loser sees what was saved
        assert stage.audit("case.update", case.id) == 1


def test_two_transfers_of_one_case_at_once_make_one_draft(stage: Stage) -> None:
    clerk, mediator = stage.people["a.clerk"], stage.people["a.mediator"]
    letter = {"to_org_id": str(stage.org_id("b1")), "kind": "移送", "letter": LETTER}
    for _ in range(ROUNDS):
        case = stage.case()
        answers = at_once(
            lambda c=case: clerk.post(f"/cases/{c.id}/transfers", letter),
            lambda c=case: mediator.post(f"/cases/{c.id}/transfers", letter),
        )
        assert _codes(*answers) == [303, 403], [a.status_code for a in answers]
        assert "本案已有一份待审签或待接收的移送" in next(a for a in answers if a.status_code == 403).text
        assert stage.count(select(Transfer.id).where(Transfer.case_id == case.id)) == 1
        assert stage.audit("transfer.create", case.id) == 1


def test_signing_one_transfer_off_twice_at_once_sends_it_once(stage: Stage) -> None:
    first, second = stage.people["a.director"], stage.people["a1.director"]
    for _ in range(ROUNDS):
        case = stage.case(transfer=("a1", "b1", TransferState.AWAITING_SIGNOFF))
        transfer_id = _transfer_of(stage, case.id)
        answers = at_once(
            lambda t=transfer_id: first.post(f"/transfers/{t}/sign-off", {}),
            lambda t=transfer_id: second.post(f"/transfers/{t}/sign-off", {}),
        )
        assert _codes(*answers) == [303, 409], [a.status_code for a in answers]
        assert "已审签发出" in next(a for a in answers if a.status_code == 409).text
        sent = stage.read(Transfer, transfer_id)
        assert sent.state is TransferState.SENT and stage.read(Case, case.id).in_transfer
        assert stage.audit("transfer.sign_off", case.id) == 1


def test_accepting_one_transfer_twice_at_once_takes_the_case_over_once(stage: Stage) -> None:
    clerk, director = stage.people["b1.clerk"], stage.people["b1.director"]
    for _ in range(ROUNDS):
        case = stage.case(transfer=("a1", "b1", TransferState.SENT))
        transfer_id = _transfer_of(stage, case.id)
        answers = at_once(
            lambda t=transfer_id: clerk.post(f"/transfers/{t}/accept", {}),
            lambda t=transfer_id: director.post(f"/transfers/{t}/accept", {}),
        )
        assert _codes(*answers) == [303, 409], [a.status_code for a in answers]
        assert "已被接收" in next(a for a in answers if a.status_code == 409).text
        taken, moved = stage.read(Transfer, transfer_id), stage.read(Case, case.id)
        assert taken.state is TransferState.ACCEPTED and moved.org_id == stage.org_id("b1") and not moved.in_transfer
        assert moved.version == case.version + 1
        assert stage.audit("transfer.accept", case.id) == 1


def test_accepting_and_returning_one_transfer_at_once_does_one_of_them_and_tells_the_other(stage: Stage) -> None:
    clerk, director = stage.people["b1.clerk"], stage.people["b1.director"]
    intruders = stage.audit("security.out_of_scope")
    outcomes = set()
    for n in range(ROUNDS):
        case = stage.case(transfer=("a1", "b1", TransferState.SENT))
        transfer_id = _transfer_of(stage, case.id)
        accept = lambda t=transfer_id: clerk.post(f"/transfers/{t}/accept", {})  # noqa: E731
        give_back = lambda t=transfer_id: director.post(f"/transfers/{t}/return", {"reason": "不属本镇管辖范围"})  # noqa: E731
        answers = at_once(accept, give_back) if n % 2 else list(reversed(at_once(give_back, accept)))
        assert _codes(*answers) == [303, 409], [a.status_code for a in answers]  # never 404
        answered, after = stage.read(Transfer, transfer_id), stage.read(Case, case.id)
        assert not after.in_transfer and after.version == case.version + 1
        if answers[0].status_code == 303:  # the acceptance won
            assert answered.state is TransferState.ACCEPTED and after.org_id == stage.org_id("b1")
            assert "已被接收" in answers[1].text
        else:
            assert answered.state is TransferState.RETURNED and after.org_id == stage.org_id("a1")
            assert "已被退回" in answers[0].text
        outcomes.add(answered.state)
        assert stage.audit("transfer.accept", case.id) + stage.audit("transfer.return", case.id) == 1
    assert stage.audit("security.out_of_scope") == intruders  # nobody was taken for an intruder


def test_filing_one_dossier_twice_at_once_files_it_once(stage: Stage) -> None:
    first, second = stage.people["a.archivist"], stage.people["a1.archivist"]
    settings = Settings(data_dir=stage.data_dir, database_url="sqlite://", secret_key="x", _env_file=None)
    form = {"filed_by": "甲档案员", "checked_by": "甲调委会主任", "retention": "30年"}
    cases = []
    for _ in range(FILING_ROUNDS):
        case_id = fileable_case(stage.engine, settings, stage.world)
        answers = at_once(
            lambda c=case_id: first.post(f"/cases/{c}/dossier/file", form),
            lambda c=case_id: second.post(f"/cases/{c}/dossier/file", form),
        )
        assert _codes(*answers) == [303, 403], [a.status_code for a in answers]
        assert "已有一个装订任务" in next(a for a in answers if a.status_code == 403).text
        assert stage.count(select(BindingJob.id).where(BindingJob.case_id == case_id)) == 1
        cases.append(case_id)
    for case_id in cases:
        job = _finished_job(stage, case_id)
        assert job.status == "done", job.error
        assert stage.count(select(DossierVersion.id).where(DossierVersion.case_id == case_id)) == 1
        assert stage.read(Case, case_id).archived_at is not None
        assert stage.audit("dossier.filed", case_id) == 1


def test_twenty_intakes_at_once_get_distinct_consecutive_numbers(stage: Stage) -> None:
    clerks = [stage.people["a.clerk"].twin() for _ in range(INTAKES)]
    org_id = stage.org_id("a_med")
    form = {
        "org_id": str(org_id),
        "title": "多人同时登记的医疗纠纷",
        "channel": "来访",
        "dispute_type": "0301",
        "summary": "患者家属对治疗结果有异议。",
        "requests": "赔偿",
        "people_involved": "2",
        "received_on": clock.today().isoformat(),
        "p0_role": "申请人",
        "p0_kind": "natural",
        "p0_name": "张某",
        "p1_role": "被申请人",
        "p1_kind": "legal",
        "p1_name": "县人民医院",
    }
    try:
        for _ in range(ROUNDS):
            before = stage.count(select(Case.id).where(Case.org_id == org_id))
            answers = at_once(*[lambda c=c: c.post("/cases", form) for c in clerks])
            assert _codes(*answers) == [303] * INTAKES, [a.status_code for a in answers]
            with Session(stage.engine) as db:
                seqs = sorted(db.exec(select(Case.number_seq).where(Case.org_id == org_id)).all())
                last = db.exec(select(CaseSequence.last).where(CaseSequence.org_id == org_id)).all()
            assert len(seqs) == before + INTAKES
            assert seqs == list(range(1, len(seqs) + 1)) and last == [len(seqs)]  # distinct and consecutive
    finally:
        for clerk in clerks:
            clerk.close()


def _transfer_of(stage: Stage, case_id: int) -> int:
    with Session(stage.engine) as db:
        return db.exec(select(Transfer.id).where(Transfer.case_id == case_id)).one()


def _finished_job(stage: Stage, case_id: int, timeout: float = 300) -> BindingJob:
    deadline = time.monotonic() + timeout
    while True:
        with Session(stage.engine) as db:
            job = db.exec(select(BindingJob).where(BindingJob.case_id == case_id)).one()
            db.expunge(job)
        if job.status in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)
