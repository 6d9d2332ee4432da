"""Facts the statistics count that the case row cannot say by itself, kept in the transaction that changes them.

- From a case's own records (columns of the case): `followed_up_on`, the first 回访 record's day (回访 in time: on or
  before `followup_due_on`); `evaluated`, it has an evaluation; `satisfied`, it has one and none scored 1–3.
- From other cases (table `case_repeat`): how many days before the case the nearest other case sharing a party's ID
  number was received (重复访 within PORTAL_RECENT_CASE_DAYS).

So every indicator is a condition on columns of the case that its date's index holds (portal.cases.models
STAT_INDEXES), and a period is counted with one pass over that index instead of subqueries per case.

One listener for every session, like the search outbox: after each flush it notes the cases whose records changed
and the ID numbers (and cases) whose parties or received day changed; just before the commit it rewrites their facts
from what the transaction now sees. On PostgreSQL (READ COMMITTED) the cases' rows are locked first, and 重复访 facts
are rewritten under one transaction-scoped advisory lock, taken last, so that two transactions changing parties with
one ID number cannot each miss the other's change; SQLite's writers hold the database's write lock anyway. Bulk
Core inserts that bypass the ORM (bench/loader.py) call `refresh_all`; `stale` says which stored facts differ from
what the records say (tests, `portal stats check`, which also rewrites them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, delete, event, exists, func, insert, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased, attributes

from portal.cases.models import Case, CaseRecord, Party
from portal.stats.models import CaseRepeat

OWN = ("followed_up_on", "evaluated", "satisfied")
_PENDING = "portal_stats_facts"  # session.info: {"own": case ids, "repeat": case ids, "numbers": ID numbers}
_REPEAT_LOCK = 0x5AE7_0013  # pg_advisory_xact_lock key: rewriting 重复访 facts
_CHUNK = 500


def _record(kind: str) -> tuple:
    """A record of the case of a kind, for a correlated subquery. The kind as an expression (`kind || ''`): SQLite
    then finds the case's few records by case_id instead of walking every record of that kind once per case (its
    planner prefers the (kind, held_on) index for min(held_on): a full rewrite took hours at 100,000 cases)."""
    record = aliased(CaseRecord)
    return record, and_(record.case_id == Case.id, record.kind + "" == kind)


def _own_values() -> dict:
    """The facts from a case's own records, as SQL over the case being updated."""
    followup, on_followup = _record("followup")
    evaluation, on_evaluation = _record("evaluation")
    low, on_low = _record("evaluation")
    evaluated = exists(select(evaluation.id).where(on_evaluation))
    unhappy = exists(select(low.id).where(on_low, low.fields["score"].as_string().in_(["1", "2", "3"])))
    return {
        "followed_up_on": select(func.min(followup.held_on)).where(on_followup).scalar_subquery(),
        "evaluated": evaluated,
        "satisfied": and_(evaluated, ~unhappy),
    }


def refresh_own(conn: Connection, case_ids: Iterable[int]) -> None:
    """Rewrite the record facts of these cases (locking their rows first on PostgreSQL: see the module)."""
    ids = sorted(set(case_ids))
    for n in range(0, len(ids), _CHUNK):
        chunk = ids[n : n + _CHUNK]
        if conn.dialect.name == "postgresql":
            # FOR NO KEY UPDATE: the lock an UPDATE takes, taken before the UPDATE's own statement so that it then
            # reads the records as the transaction that held the row left them (READ COMMITTED).
            locking = select(Case.id).where(Case.id.in_(chunk)).order_by(Case.id).with_for_update(key_share=True)
            conn.execute(locking)
        conn.execute(update(Case).where(Case.id.in_(chunk)).values(**_own_values()))


def _gaps(conn: Connection, case_ids: list[int] | None) -> dict[int, int]:
    """{case id: days since the nearest other case received on or before its day with a party of the same ID number}
    for these cases (all cases: None)."""
    own, other_party, other = aliased(Party), aliased(Party), aliased(Case)
    query = (
        select(own.case_id, Case.received_on, other.received_on)
        .join(Case, Case.id == own.case_id)
        .join(other_party, and_(other_party.id_number == own.id_number, other_party.case_id != own.case_id))
        .join(other, other.id == other_party.case_id)
        .where(own.id_number != "", other.received_on <= Case.received_on)
    )
    gaps: dict[int, int] = {}
    chunks = [None] if case_ids is None else [case_ids[n : n + _CHUNK] for n in range(0, len(case_ids), _CHUNK)]
    for chunk in chunks:
        for case_id, day, before in conn.execute(query if chunk is None else query.where(own.case_id.in_(chunk))):
            gap = (_day(day) - _day(before)).days
            if gap < gaps.get(case_id, gap + 1):
                gaps[case_id] = gap
    return gaps


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def refresh_repeats(conn: Connection, case_ids: Iterable[int], numbers: Iterable[str]) -> None:
    """Rewrite the 重复访 facts of these cases and of every case with a party of one of these ID numbers."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REPEAT_LOCK})
    affected = set(case_ids)
    wanted = sorted({n for n in numbers if n})
    for n in range(0, len(wanted), _CHUNK):
        affected.update(
            conn.execute(select(Party.case_id).where(Party.id_number.in_(wanted[n : n + _CHUNK]))).scalars()
        )
    ids = sorted(affected)
    gaps = _gaps(conn, ids)
    for n in range(0, len(ids), _CHUNK):
        conn.execute(delete(CaseRepeat).where(CaseRepeat.case_id.in_(ids[n : n + _CHUNK])))
    if gaps:
        conn.execute(insert(CaseRepeat), [{"case_id": i, "gap_days": g} for i, g in sorted(gaps.items())])


def refresh_all(conn: Connection) -> None:
    """Every case's facts from scratch (after a bulk load that bypassed the ORM, or a migration)."""
    conn.execute(update(Case).values(**_own_values()))
    conn.execute(delete(CaseRepeat))
    gaps = _gaps(conn, None)
    if gaps:
        conn.execute(insert(CaseRepeat), [{"case_id": i, "gap_days": g} for i, g in sorted(gaps.items())])


def stale(conn: Connection) -> list[int]:
    """The cases whose stored facts differ from what their records and the other cases say (should be none)."""
    differs = [getattr(Case, key).is_distinct_from(value) for key, value in _own_values().items()]
    found = set(conn.execute(select(Case.id).where(or_(*differs))).scalars())
    kept: dict[int, int] = {
        case_id: gap for case_id, gap in conn.execute(select(CaseRepeat.case_id, CaseRepeat.gap_days))
    }
    gaps = _gaps(conn, None)
    found.update(i for i in kept.keys() | gaps.keys() if kept.get(i) != gaps.get(i))
    return sorted(found)


# --- the listener ---------------------------------------------------------------------------
def _pending(session: Session) -> dict[str, set]:
    return session.info.setdefault(_PENDING, {"own": set(), "repeat": set(), "numbers": set()})


def _note(session: Session, _context) -> None:  # noqa: ANN001
    """After a flush: which cases' facts the flushed changes touch (their objects still say what changed)."""
    pending = None
    dirty = [o for o in session.dirty if isinstance(o, (Case, Party, CaseRecord)) and session.is_modified(o)]
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, CaseRecord):
            pending = pending or _pending(session)
            pending["own"].update(_values(obj, "case_id"))
        elif isinstance(obj, Party):
            pending = pending or _pending(session)
            pending["repeat"].update(_values(obj, "case_id"))
            pending["numbers"].update(_values(obj, "id_number"))
        elif isinstance(obj, Case) and obj.id is not None and (obj in session.new or _changed(obj, "received_on")):
            pending = pending or _pending(session)
            pending["repeat"].add(obj.id)


def _values(obj: object, key: str) -> set:
    """An attribute's value now and, if this flush changed it, before."""
    history = attributes.get_history(obj, key)
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def _changed(obj: object, key: str) -> bool:
    return attributes.get_history(obj, key).has_changes()


def _apply(session: Session) -> None:
    """Before the commit: rewrite the facts noted in this transaction, then forget them. (The commit flushes only
    after this event: flush first, so that the last changes are noted too.)"""
    if session.new or session.dirty or session.deleted:
        session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    conn = session.connection()
    if pending["own"]:
        refresh_own(conn, pending["own"])
        _show_own(session, conn, pending["own"])
    if pending["repeat"] or pending["numbers"]:
        numbers = set(pending["numbers"])
        ids = sorted(pending["repeat"])
        for n in range(0, len(ids), _CHUNK):  # the parties of a case whose received day moved
            numbers.update(
                conn.execute(select(Party.id_number).where(Party.case_id.in_(ids[n : n + _CHUNK]))).scalars()
            )
        refresh_repeats(conn, pending["repeat"], numbers)


def _show_own(session: Session, conn: Connection, case_ids: set[int]) -> None:
    """Set the rewritten facts on the cases this session holds, as if loaded (the session may outlive the commit)."""
    held = {obj.id: obj for obj in session.identity_map.values() if isinstance(obj, Case) and obj.id in case_ids}
    if not held:
        return
    for case_id, *values in conn.execute(select(Case.id, *(getattr(Case, k) for k in OWN)).where(Case.id.in_(held))):
        for key, value in zip(OWN, values, strict=True):
            attributes.set_committed_value(held[case_id], key, value)


def _forget(session: Session, transaction) -> None:  # noqa: ANN001
    """A transaction that ended without applying them (rolled back) leaves nothing for the next one."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def listen() -> None:
    """Register the listener for every session (once: portal.stats imports this module)."""
    if not event.contains(Session, "after_flush", _note):
        event.listen(Session, "after_flush", _note)
        event.listen(Session, "before_commit", _apply)
        event.listen(Session, "after_transaction_end", _forget)
