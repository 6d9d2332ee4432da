"""The case page's one statement (portal.cases.page, portal.nested) gives what the separate reads give,
typed as the ORM types them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from factories import build_world
from sqlalchemy import Numeric, event, inspect
from sqlmodel import Session
from test_case_loop import VALID_ID, intake, who

from portal import nested
from portal.cases import files, loop, page, parties
from portal.cases.access import events_of
from portal.cases.models import CaseEvent, CaseFile, CaseMediator, CaseRecord, Party
from portal.people.models import Person
from portal.scope import OutOfScope


def _same(read: object, loaded: object, *, leave: tuple[str, ...] = ()) -> None:
    """Every column of `read` equals the ORM-loaded one, with the same Python type."""
    for attr in inspect(type(loaded)).column_attrs:
        if attr.key in leave:
            continue
        mine, theirs = getattr(read, attr.key), getattr(loaded, attr.key)
        assert (attr.key, mine, type(mine)) == (attr.key, theirs, type(theirs))


def _worked_case(db: Session, world):  # noqa: ANN001, ANN202
    case = intake(db, world)  # 张某 (with an ID number) and 李某 (without)
    at = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    db.add_all(
        [
            CaseRecord(
                case_id=case.id,
                kind="evaluation",
                held_on=None,
                fields={"source": "回访评价", "score": "5"},
                created_at=at,
            ),
            CaseRecord(
                case_id=case.id,
                kind="mediation",
                held_on=date(2026, 3, 2),
                created_at=at,
                fields={"place": "村调解室", "content": "释法明理，“双方”同意\n再议", "experts": ""},
            ),
            CaseRecord(
                case_id=case.id, kind="investigation", held_on=date(2026, 3, 1), fields={"place": "现场"}, created_at=at
            ),
            CaseMediator(case_id=case.id, person_id=world.person("a1.mediator").id, lead=False),
            CaseMediator(case_id=case.id, person_id=world.person("a.director").id, lead=True),
            CaseFile(
                case_id=case.id,
                doc_type="证据材料",
                filename="照片.jpg",
                media_type="image/jpeg",
                size=123_456,
                sha256="a" * 64,
                storage_key="aa/" + "a" * 64,
                uploaded_by=world.person("a.clerk").id,
                uploaded_at=at,
            ),
            CaseFile(
                case_id=case.id,
                doc_type="其他材料",
                filename="删掉的.pdf",
                media_type="application/pdf",
                size=1,
                sha256="b" * 64,
                storage_key="bb/" + "b" * 64,
                uploaded_by=world.person("a.clerk").id,
                uploaded_at=at,
                removed=True,
            ),
            CaseEvent(case_id=case.id, at=at - timedelta(days=1), actor_name="系统", kind="note", summary="更早的一条"),
        ]
    )
    db.commit()
    return case


def test_the_page_statement_reads_what_the_separate_reads_read(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = _worked_case(db, world)
        principal, case_id = (
            who(db, world, "a.clerk"),
            case.id,
        )  # (the commit expired the case: reading its id refreshes it)
        statements: list[str] = []

        def seen(conn, cursor, statement, *_args) -> None:  # noqa: ANN001
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            shown = page.read(db, principal, case_id, recent_days=180)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert len(statements) == 1
        assert shown.case is db.get(type(case), case.id) and shown.handling.id == case.org_id and shown.transfers == []

        loaded = parties.parties_of(db, case)
        assert [p.name for p in shown.parties] == ["张某", "李某"] and shown.repeated == set()
        for mine, theirs in zip(shown.parties, loaded, strict=True):
            _same(mine, theirs)
        records = loop.records_of(db, case)
        # Undated records come last on both databases (SQLite's ORDER BY alone puts NULL first).
        assert [r.kind for r in shown.records] == ["investigation", "mediation", "evaluation"]
        for mine, theirs in zip(
            shown.records, sorted(records, key=lambda r: (r.held_on is None, r.held_on or date.min, r.id)), strict=True
        ):
            _same(mine, theirs)
        assert shown.records[1].fields["content"] == "释法明理，“双方”同意\n再议" and isinstance(
            shown.records[1].fields, dict
        )
        assert [(m.lead, p.name) for m, p in shown.mediators] == [
            (m.lead, p.name) for m, p in loop.mediators_of(db, case)
        ]
        assert shown.mediators[0][0].lead is True
        for (mine, person), (theirs, them) in zip(shown.mediators, loop.mediators_of(db, case), strict=True):
            _same(mine, theirs)
            _same(person, them, leave=("password_hash",))
            assert person.password_hash is None  # the hash is not read into the page
        for mine, theirs in zip(shown.events, events_of(db, case), strict=True):
            _same(mine, theirs)
        assert shown.events[0].summary == "更早的一条" and shown.events[0].at.tzinfo is not None
        assert [f.filename for f in shown.files] == ["照片.jpg"]  # the removed one is not listed
        _same(shown.files[0], files.files_of(db, case)[0])


def test_the_page_statement_flags_repeat_id_numbers_and_ignores_blank_ones(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        mine = intake(db, world)  # 张某 with an ID number, 李某 without one
        principal = who(db, world, "a.clerk")
        assert (
            page.read(db, principal, mine.id, recent_days=180).repeated == set()
        )  # 李某's blank matches other blanks: no repeat
        intake(db, world, org="a1a")  # 张某 again, and another 李某 without a number
        shown = page.read(db, principal, mine.id, recent_days=180)
        assert shown.repeated == {VALID_ID}
        flags = parties.repeat_flags(db, principal, mine, parties=shown.parties, numbers=shown.repeated)
        assert [f.party.name for f in flags] == ["张某"] and len(flags[0].visible) == 1


def test_the_page_statement_reads_nothing_of_a_case_the_viewer_may_not_see(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = _worked_case(db, world)
        with pytest.raises(OutOfScope):
            page.read(db, who(db, world, "b1.mediator"), case.id, recent_days=180)
        with pytest.raises(OutOfScope):
            page.read(db, who(db, world, "a.clerk"), case.id + 1000, recent_days=180)


def test_nested_rows_refuse_a_column_type_they_cannot_give_back_exactly() -> None:
    with pytest.raises(TypeError, match="Numeric"):  # decimals would come back from JSON as floats
        nested._reader(Numeric(14, 2))
    assert nested._reader(Person.__table__.c.active.type)(0) is False
    assert nested._reader(Party.__table__.c.birth_date.type)("2026-01-31") == date(2026, 1, 31)
    assert nested._reader(CaseRecord.__table__.c.fields.type)('{"a": 1}') == {"a": 1}


def test_a_reloaded_principal_reuses_its_scope_statements_and_another_scope_gets_its_own(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = _worked_case(db, world)
        first, again = (
            who(db, world, "a.clerk"),
            who(db, world, "a.clerk"),
        )  # a worker reloads a session's Principal every 2 s
        other = who(db, world, "b1.mediator")
        assert first is not again and first.scope == again.scope != other.scope
        page.read(db, first, case.id, recent_days=180)
        page.read(db, again, case.id, recent_days=180)
        with pytest.raises(OutOfScope):
            page.read(
                db, other, case.id, recent_days=180
            )  # a scope that does not reach the case: its own statement says so
        statements = [p.condition("case_page", lambda: pytest.fail("built again")) for p in (first, again)]
        assert statements[0] is statements[1] and other.condition("case_page", lambda: None) is not statements[0]
