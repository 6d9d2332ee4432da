"""What the case page shows, read in one statement.

The case, its handling organisation, its transfers and the freshness generation come as columns and rows of the
statement; the parties (each with whether its ID number appears in another open or recent case), records, mediators,
timeline and files come as one JSON column each (portal.nested), correlated to the case row, so they are read only for
a case the viewer may see. One round trip instead of six: on PostgreSQL each was a wait for the server and the
driver's and SQLAlchemy's fixed cost per statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, bindparam
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from portal import freshness, nested
from portal.cases import parties as party_service
from portal.cases.access import not_found, visible_condition
from portal.cases.models import Case, CaseEvent, CaseFile, CaseMediator, CaseRecord, Party, Transfer
from portal.db import stored_id
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import Principal

_SENT = aliased(Transfer)  # the scope's own EXISTS over transfers must not correlate with these

_PARTIES = nested.Shape(Party, extra=(party_service.seen_elsewhere(),))
_RECORDS = nested.Shape(CaseRecord)
_ASSIGNMENTS = nested.Shape(CaseMediator)
_MEDIATORS = nested.Shape(
    Person, leave=("password_hash",)
)  # a page shows a mediator's name; the hash stays in the database
_EVENTS = nested.Shape(CaseEvent)
_FILES = nested.Shape(CaseFile)

_CHILDREN = (
    nested.rows(*_PARTIES.values(), where=Party.case_id == Case.id),
    nested.rows(*_RECORDS.values(), where=CaseRecord.case_id == Case.id),
    nested.rows(
        *_ASSIGNMENTS.values(),
        *_MEDIATORS.values(),
        where=and_(CaseMediator.case_id == Case.id, Person.id == CaseMediator.person_id),
    ),
    nested.rows(*_EVENTS.values(), where=CaseEvent.case_id == Case.id),
    nested.rows(*_FILES.values(), where=and_(CaseFile.case_id == Case.id, CaseFile.removed == False)),  # noqa: E712
)


@dataclass(frozen=True)
class CasePage:
    case: Case
    handling: Organisation
    generation: freshness.Generation
    transfers: list[Transfer]
    parties: list[Party]
    repeated: set[
        str
    ]  # the parties' ID numbers that appear in other open or recent cases (parties.repeat_flags says where)
    records: list[CaseRecord]
    mediators: list[tuple[CaseMediator, Person]]
    events: list[CaseEvent]
    files: list[CaseFile]


def _undated_last(record: CaseRecord) -> tuple:
    return (record.held_on is None, record.held_on or date.min, record.id)


def read(db: Session, principal: Principal, case_id: int, *, recent_days: int) -> CasePage:
    """The case page's data, or OutOfScope when the case does not exist or the viewer may not see it. The statement is
    built once per scope (Principal.condition): SQLAlchemy then finds it in its cache without walking it again."""
    statement = principal.condition(
        "case_page",
        lambda: (
            select(Case, Organisation, _SENT, *_CHILDREN, *freshness.COLUMNS)
            .join(Organisation, Organisation.id == Case.org_id)
            .outerjoin(_SENT, _SENT.case_id == Case.id)
            .where(Case.id == bindparam("case_id"), visible_condition(principal))
            .order_by(_SENT.created_at, _SENT.id)
        ),
    )
    rows = db.exec(statement, params={"case_id": case_id, "since": party_service.recent_since(recent_days)}).all()
    if not rows:
        raise not_found(case_id)
    first = rows[0]
    listed = _PARTIES.load(first[3])
    width = len(_ASSIGNMENTS.columns)
    mediators = [(_ASSIGNMENTS.instance(row[:width]), _MEDIATORS.instance(row[width:])) for row in first[5] or ()]
    return CasePage(
        case=first[0],
        handling=first[1],
        generation=freshness.confirmed_by(db, [first]),
        transfers=[row[2] for row in rows if row[2] is not None],
        parties=sorted((party for party, _ in listed), key=lambda p: (p.sort_order, p.id)),
        repeated={party.id_number for party, elsewhere in listed if elsewhere},
        records=sorted(_RECORDS.load(first[4]), key=_undated_last),
        mediators=sorted(mediators, key=lambda pair: (not pair[0].lead, stored_id(pair[0].id))),
        events=sorted(_EVENTS.load(first[6]), key=lambda e: (e.at, e.id)),
        files=sorted(_FILES.load(first[7]), key=lambda f: stored_id(f.id)),
    )
