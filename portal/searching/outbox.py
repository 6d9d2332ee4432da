"""Every change to a case writes an outbox row in the same transaction: one listener, for every session.

The listener runs after each flush (when new rows have their ids) and inserts with Core on the flush's
own connection, so the row commits or rolls back with the change. Bulk Core inserts that bypass the
ORM (bench/loader.py) are not seen: `portal search check` or `portal reindex` covers them.
"""

from __future__ import annotations

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from portal.cases.models import Case, CaseEvent, CaseFile, CaseMediator, CaseRecord, Party, Transfer
from portal.db import utcnow
from portal.searching.models import SearchOutbox

WATCHED = (Party, CaseRecord, CaseMediator, CaseFile, Transfer, CaseEvent)
KINDS = (Case, *WATCHED)


def _case_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    # Filter by type before asking for history: a demo or import session holds thousands of objects.
    dirty = [obj for obj in session.dirty if isinstance(obj, KINDS) and session.is_modified(obj)]
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, Case):
            if obj.id is not None:
                ids.add(obj.id)
        elif isinstance(obj, WATCHED) and getattr(obj, "case_id", None) is not None:
            ids.add(obj.case_id)
    return ids


@event.listens_for(Session, "after_flush")
def _enqueue(session: Session, _context) -> None:  # noqa: ANN001
    ids = _case_ids(session)
    if ids:
        now = utcnow()
        session.connection().execute(
            insert(SearchOutbox.__table__), [{"case_id": i, "created_at": now} for i in sorted(ids)]
        )


def enqueue_all(session: Session) -> int:
    """Queue every case (after a bulk load that bypassed the ORM)."""
    from sqlalchemy import select

    ids = list(session.exec(select(Case.id)).all())
    if ids:
        now = utcnow()
        session.connection().execute(
            insert(SearchOutbox.__table__),
            [{"case_id": i[0] if isinstance(i, tuple) else i, "created_at": now} for i in ids],
        )
    return len(ids)
