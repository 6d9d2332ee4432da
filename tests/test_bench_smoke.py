"""bench/cases.py cannot rot:
its bulk loader (bench/loader.py) fills a small SQLite database the case list reads, scoped."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from portal.cases import service
from portal.cases.models import Case, CaseEvent, CaseFile, CaseMediator, CaseRecord, CaseSequence, CaseState, Party
from portal.db import make_engine, migrate
from portal.demo import build_demo
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import load_principal

BENCH = Path(__file__).resolve().parent.parent / "bench" / "cases.py"


def _bench():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("portal_bench_cases", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)  # puts the repository root on sys.path, so `bench.loader` imports
    return module


@pytest.fixture
def demo_engine(tmp_path):  # noqa: ANN001, ANN201
    """A SQLite database with the demo county and nothing else."""
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    build_demo(engine, password="Bench@pass-1")
    yield engine
    engine.dispose()


def test_the_loader_fills_a_database_the_case_list_reads_scoped(demo_engine) -> None:
    bench = _bench()
    engine = demo_engine
    report = importlib.import_module("bench.loader").load_cases(engine, 500, batch=120)
    assert (report.cases, report.parties >= 1000, report.events >= 500) == (500, True, True)
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(Case)).one() == 500
        assert db.exec(select(func.count()).select_from(Party)).one() == report.parties
        assert db.exec(select(func.count()).select_from(CaseEvent)).one() == report.events
        assert len({c.state for c in db.exec(select(Case))}) >= 8
        # Worked cases have what the case page lists: mediators, the records their state implies, some materials.
        for model, loaded in ((CaseMediator, report.mediators), (CaseRecord, report.records), (CaseFile, report.files)):
            assert loaded > 0 and db.exec(select(func.count()).select_from(model)).one() == loaded
        kinds = dict(
            db.exec(
                select(Case.state, func.count(CaseRecord.id.distinct()))
                .join(CaseRecord, CaseRecord.case_id == Case.id)
                .group_by(Case.state)
            ).all()
        )
        assert (
            CaseState.REGISTERED not in kinds
            and kinds[CaseState.EVALUATED]
            >= 5 * db.exec(select(func.count()).select_from(Case).where(Case.state == CaseState.EVALUATED)).one()
        )
        evaluated = db.exec(select(Case.id).where(Case.state == CaseState.EVALUATED)).first()
        assert {"agreement", "oral_agreement"} & set(
            db.exec(select(CaseRecord.kind).where(CaseRecord.case_id == evaluated)).all()
        )
        assert {"performance", "closure", "followup", "evaluation"} <= set(
            db.exec(select(CaseRecord.kind).where(CaseRecord.case_id == evaluated)).all()
        )
        assert sorted(db.exec(select(CaseMediator.lead).where(CaseMediator.case_id == evaluated)).all())[-1:] == [True]
        numbers = db.exec(
            select(Case.number_org_id, Case.number_year, func.max(Case.number_seq)).group_by(
                Case.number_org_id, Case.number_year
            )
        ).all()
        sequences = {(s.org_id, s.year): s.last for s in db.exec(select(CaseSequence))}
        assert all(sequences[(org, year)] == last for org, year, last in numbers)

        def principal(username: str):  # noqa: ANN202
            return load_principal(db, db.exec(select(Person).where(Person.username == username)).one())

        county = service.list_cases(db, principal(bench.COUNTY_USER), service.CaseFilter(), page=2, size=50)
        assert county.total == 500 and len(county.rows) == 50
        village_path = db.exec(select(Organisation.path).where(Organisation.name == bench.VILLAGE_ORG)).one()
        mine = db.exec(select(func.count()).select_from(Case).where(Case.org_path.startswith(village_path))).one()
        village = service.list_cases(db, principal(bench.VILLAGE_USER), service.CaseFilter(), page=1, size=500)
        assert 0 < village.total == mine < 500 and all(c.org_path.startswith(village_path) for c in village.rows)
        closed = service.list_cases(
            db, principal(bench.COUNTY_USER), service.CaseFilter(state="closed"), page=1, size=500
        )
        assert closed.total == county.counts["closed"] and all(c.state is CaseState.CLOSED for c in closed.rows)
    ids = bench.visible_ids(engine)
    assert len(ids["county"]) == 500 and len(ids["village"]) == mine
    assert [s.name for s in bench.scenarios(ids, ["healthz", "orgs"])] == ["healthz", "orgs"]


def test_the_loader_can_leave_out_file_descriptions_for_the_search_benchmark(demo_engine) -> None:
    _bench()  # puts the repository root on sys.path, so `bench.loader` imports
    report = importlib.import_module("bench.loader").load_cases(demo_engine, 300, files=False)
    with Session(demo_engine) as db:
        assert report.records > 0 and report.files == 0 == db.exec(select(func.count()).select_from(CaseFile)).one()
