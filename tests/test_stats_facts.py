"""The facts the statistics keep on cases (portal.stats.facts), on SQLite and PostgreSQL: right after every kind of
change — intake, edits, parties, records, a ledger import, a bulk load — against an independent count in Python, and
under two transactions changing parties with one ID number at once."""

from __future__ import annotations

import random
import threading
import time
from datetime import date, timedelta

import pytest
from alembic import command
from factories import build_world
from sqlalchemy import event, text
from sqlmodel import Session, select
from support.cli import portal_env, run_portal

from portal import clock
from portal.cases import parties, service
from portal.cases.models import Case, CaseRecord, Party
from portal.db import alembic_config, migrate, transaction
from portal.people.models import Person
from portal.scope import load_principal
from portal.stats import facts
from portal.stats.models import CaseRepeat

IDS = ["11010519491231002X", "110105196001010033", "110105197002020043"]


def expected(db: Session) -> dict[int, tuple]:
    """Every case's facts worked out in Python from its rows: (first follow-up, evaluated, satisfied, repeat gap)."""
    cases = {c.id: c for c in db.exec(select(Case))}
    records = list(db.exec(select(CaseRecord)))
    numbers: dict[str, set[int]] = {}
    for party in db.exec(select(Party)):
        if party.id_number:
            numbers.setdefault(party.id_number, set()).add(party.case_id)
    out = {}
    for case_id, case in cases.items():
        mine = [r for r in records if r.case_id == case_id]
        visits = [r.held_on for r in mine if r.kind == "followup" and r.held_on is not None]
        scores = [str(r.fields.get("score")) for r in mine if r.kind == "evaluation"]
        gaps = [
            (case.received_on - cases[other].received_on).days
            for ids in numbers.values()
            if case_id in ids
            for other in ids - {case_id}
            if cases[other].received_on <= case.received_on
        ]
        out[case_id] = (
            min(visits, default=None),
            bool(scores),
            bool(scores) and not any(s in ("1", "2", "3") for s in scores),
            min(gaps, default=None),
        )
    return out


def stored(db: Session) -> dict[int, tuple]:
    gaps = dict(db.exec(select(CaseRepeat.case_id, CaseRepeat.gap_days)).all())
    rows = db.exec(select(Case.id, Case.followed_up_on, Case.evaluated, Case.satisfied)).all()
    return {i: (on, bool(ev), bool(sat), gaps.get(i)) for i, on, ev, sat in rows}


def check(engine) -> dict[int, tuple]:  # noqa: ANN001
    with Session(engine) as db:
        want, got = expected(db), stored(db)
        assert got == want
        assert facts.stale(db.connection()) == []
    return got


def who(db: Session, username: str):  # noqa: ANN201
    return load_principal(db, db.exec(select(Person).where(Person.username == username)).one())


def intake(db: Session, world, received: date, numbers: list[str]) -> Case:  # noqa: ANN001
    form = service.CaseForm(
        title="张某与李某相邻纠纷",
        channel="来访",
        dispute_type="0301",
        summary="相邻通行受阻。",
        org_id=str(world.org("a1a").id),
        received_on=received.isoformat(),
    )
    forms = [
        parties.PartyForm(role="申请人" if n == 0 else "被申请人", name="张某", id_type="resident_id", id_number=number)
        for n, number in enumerate(numbers)
    ]
    return service.intake(db, who(db, "a1.mediator"), form, parties=forms)


def test_the_facts_follow_intake_edits_parties_and_records(engine) -> None:
    world = build_world(engine)
    today = clock.today()
    with transaction(engine) as db:
        first = intake(db, world, today - timedelta(days=30), [IDS[0]])
    with transaction(engine) as db:
        second = intake(db, world, today - timedelta(days=5), [IDS[1], IDS[0]])
    assert {i: f[3] for i, f in check(engine).items()} == {first.id: None, second.id: 25}

    with transaction(engine) as db:  # the first case was received later than typed: now it is the repeat
        case = db.get(Case, first.id)
        case.received_on = today - timedelta(days=1)
        db.add(case)
    assert {i: f[3] for i, f in check(engine).items()} == {first.id: 4, second.id: None}

    with transaction(engine) as db:  # the shared party leaves the second case
        party = db.exec(select(Party).where(Party.case_id == second.id, Party.id_number == IDS[0])).one()
        parties.remove_party(db, who(db, "a1.mediator"), db.get(Case, second.id), party.id)
    assert {i: f[3] for i, f in check(engine).items()} == {first.id: None, second.id: None}

    with transaction(engine) as db:
        form = parties.PartyForm(role="第三人", name="王某", id_type="resident_id", id_number=IDS[1])
        parties.add_party(db, who(db, "a1.mediator"), db.get(Case, first.id), form)
    assert {i: f[3] for i, f in check(engine).items()} == {first.id: 4, second.id: None}

    with transaction(engine) as db:  # records: a late follow-up, then one in time; evaluations
        for kind, held, fields in [
            ("followup", today, {}),
            ("followup", today - timedelta(days=3), {}),
            ("evaluation", None, {"source": "网上评价", "score": "5"}),
        ]:
            db.add(CaseRecord(case_id=first.id, kind=kind, held_on=held, fields=fields))
    assert check(engine)[first.id][:3] == (today - timedelta(days=3), True, True)
    with transaction(engine) as db:
        db.add(CaseRecord(case_id=first.id, kind="evaluation", fields={"source": "回访评价", "score": 3}))
    assert check(engine)[first.id][:3] == (today - timedelta(days=3), True, False)
    with transaction(engine) as db:
        for record in db.exec(select(CaseRecord).where(CaseRecord.kind == "evaluation")):
            db.delete(record)
    assert check(engine)[first.id][:3] == (today - timedelta(days=3), False, False)


def test_a_transaction_that_rolls_back_leaves_nothing_for_the_next(engine) -> None:
    world = build_world(engine)
    today = clock.today()
    with transaction(engine) as db:
        kept = intake(db, world, today, [IDS[2]])
    with pytest.raises(RuntimeError), transaction(engine) as db:
        intake(db, world, today, [IDS[2]])
        db.flush()
        raise RuntimeError("abandoned")
    with Session(engine) as db:
        db.add(CaseRecord(case_id=kept.id, kind="evaluation", fields={"score": "2"}))
        db.flush()
        db.rollback()
        assert not db.info.get("portal_stats_facts")
    assert check(engine)[kept.id] == (None, False, False, None)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_changes_keep_the_facts_equal_to_an_independent_count(engine, seed) -> None:  # noqa: ANN001
    """Cases, parties, received days and records added, changed and removed in random orders and batches."""
    world = build_world(engine)
    rng = random.Random(seed)
    today = clock.today()
    with transaction(engine) as db:
        ids = [intake(db, world, today - timedelta(days=rng.randint(0, 400)), rng.sample(IDS, 2)).id for _ in range(6)]
    for _ in range(25):
        with transaction(engine) as db:
            for _ in range(rng.randint(1, 3)):
                case = db.get(Case, rng.choice(ids))
                step = rng.choice(["party", "unparty", "renumber", "received", "record", "unrecord", "intake"])
                own = db.exec(select(Party).where(Party.case_id == case.id)).all()
                if step == "party":
                    db.add(Party(case_id=case.id, role="第三人", name="某", id_number=rng.choice([*IDS, ""])))
                elif step == "unparty" and own:
                    db.delete(rng.choice(own))
                elif step == "renumber" and own:
                    rng.choice(own).id_number = rng.choice([*IDS, ""])
                elif step == "received":
                    case.received_on = today - timedelta(days=rng.randint(0, 400))
                elif step == "record":
                    kind = rng.choice(["followup", "evaluation", "mediation"])
                    held = today - timedelta(days=rng.randint(0, 30)) if kind != "evaluation" else None
                    db.add(CaseRecord(case_id=case.id, kind=kind, held_on=held, fields={"score": rng.randint(1, 5)}))
                elif step == "unrecord":
                    mine = db.exec(select(CaseRecord).where(CaseRecord.case_id == case.id)).all()
                    if mine:
                        db.delete(rng.choice(mine))
                elif step == "intake":
                    ids.append(intake(db, world, today - timedelta(days=rng.randint(0, 400)), rng.sample(IDS, 1)).id)
                if rng.random() < 0.5:
                    db.flush()
        check(engine)


def test_a_bulk_load_is_brought_up_to_date_by_refresh_all(engine) -> None:
    world = build_world(engine)
    today = clock.today()
    with transaction(engine) as db:
        cases = [intake(db, world, today - timedelta(days=n), [IDS[0]]).id for n in (3, 1)]
    with engine.begin() as conn:  # Core, as bench/loader.py writes: the listener does not see it
        conn.execute(CaseRepeat.__table__.delete())
        conn.execute(CaseRecord.__table__.insert(), [{"case_id": cases[0], "kind": "evaluation", "fields": {}}])
    with Session(engine) as db:
        assert set(facts.stale(db.connection())) == {cases[0], cases[1]}
    with engine.begin() as conn:
        facts.refresh_all(conn)
    assert check(engine)[cases[1]] == (None, False, False, 2)


def test_portal_stats_check_names_stale_facts_and_rewrites_them_from_the_records(engine, settings, tmp_path) -> None:  # noqa: ANN001
    """What an operator runs after a load that bypassed the portal: --no-repair only reports (exit 1), the default
    rewrites just the stale cases, and a second check finds nothing."""
    world = build_world(engine)
    today = clock.today()
    with transaction(engine) as db:
        cases = [intake(db, world, today - timedelta(days=n), [IDS[0]]).id for n in (3, 1)]
        untouched = intake(db, world, today, [IDS[1]]).id
    before = check(engine)
    with engine.begin() as conn:  # behind the listener's back
        conn.execute(CaseRepeat.__table__.delete())
        conn.execute(CaseRecord.__table__.insert(), [{"case_id": cases[0], "kind": "evaluation", "fields": {}}])
    env = portal_env(settings.effective_database_url, settings.data_dir)

    report = run_portal("stats", "check", "--no-repair", env=env, cwd=tmp_path, timeout=600)
    assert report.returncode == 1, report.stderr
    assert "不一致 2 件" in report.stdout and f"{cases[0]}、{cases[1]}" in report.stdout, report.stdout
    with engine.connect() as conn:
        assert set(facts.stale(conn)) == {cases[0], cases[1]}  # nothing written

    repaired = run_portal("stats", "check", env=env, cwd=tmp_path, timeout=600)
    assert repaired.returncode == 0 and "已按案件记录重写" in repaired.stdout, repaired.stdout + repaired.stderr
    after = check(engine)
    assert after[cases[0]] == (None, True, True, None) and after[cases[1]] == before[cases[1]]
    assert after[untouched] == before[untouched]
    again = run_portal("stats", "check", "--no-repair", env=env, cwd=tmp_path, timeout=600)
    assert again.returncode == 0 and "统计事实与案件记录一致" in again.stdout, again.stdout + again.stderr


def test_the_migration_works_out_the_facts_of_the_cases_there_are(engine, db_url) -> None:  # noqa: ANN001
    """0016_stats_facts on a database with cases, parties and records (made at the head, then taken down to 0015)."""
    world = build_world(engine)
    today = clock.today()
    with transaction(engine) as db:
        ids = [intake(db, world, today - timedelta(days=n), [IDS[n % 2], IDS[2]]).id for n in (40, 9, 2)]
        records = [("followup", 5, {}), ("followup", 1, {}), ("evaluation", None, {"score": 4}), ("mediation", 3, {})]
        for kind, ago, fields in records:
            held = today - timedelta(days=ago) if ago is not None else None
            db.add(CaseRecord(case_id=ids[0], kind=kind, held_on=held, fields=fields))
        db.add(CaseRecord(case_id=ids[1], kind="evaluation", fields={"score": "3"}))
    want = check(engine)
    engine.dispose()
    command.downgrade(alembic_config(db_url), "0015_bulletins")
    migrate(db_url)
    assert check(engine) == want
    assert {i: f[3] for i, f in want.items() if i in ids} == {ids[0]: None, ids[1]: 31, ids[2]: 7}


def waiting_for_a_lock(engine, pid: list[int], locktype: str | None = None) -> bool:  # noqa: ANN001
    """Whether the PostgreSQL backend whose id another thread puts in `pid` waits for a lock (of this type), polled
    until it does: wait for the state."""
    query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = :pid"
    with engine.connect() as conn:
        for _ in range(600):
            if (
                pid
                and conn.execute(
                    text(query + (" AND locktype = :type" if locktype else "")), {"pid": pid[0], "type": locktype}
                ).scalar()
            ):
                return True
            time.sleep(0.1)
    return False


def test_parties_changed_at_once_in_two_transactions_are_both_counted(engine, db_backend) -> None:
    """PostgreSQL: the second transaction's rewrite waits for the first's (an advisory lock), then sees its party.
    Without the lock each would count only its own party, and the first case would miss its repeat."""
    if db_backend != "postgresql":
        pytest.skip("SQLite's writers take turns from BEGIN IMMEDIATE on")
    world = build_world(engine)
    today = clock.today()
    with transaction(engine) as db:
        a = intake(db, world, today, [IDS[1]]).id
        b = intake(db, world, today, [IDS[2]]).id
    paused, resume = threading.Event(), threading.Event()
    first = Session(engine)

    def hold(session: Session) -> None:  # registered after facts' listener: runs once the first has rewritten
        if session is first:
            paused.set()
            resume.wait(60)

    event.listen(Session, "before_commit", hold)
    try:
        first.add(Party(case_id=a, role="第三人", name="某", id_number=IDS[0]))
        committer = threading.Thread(target=first.commit)
        committer.start()
        assert paused.wait(60)
        second_pid: list[int] = []

        def second() -> None:
            with transaction(engine) as db:
                second_pid.append(db.execute(text("SELECT pg_backend_pid()")).scalar())
                db.add(Party(case_id=b, role="第三人", name="某", id_number=IDS[0]))

        other = threading.Thread(target=second)
        other.start()
        assert waiting_for_a_lock(engine, second_pid, "advisory")  # the second waits for the 重复访 lock
        resume.set()
        committer.join(60)
        other.join(60)
    finally:
        resume.set()
        event.remove(Session, "before_commit", hold)
        first.close()
    assert {i: f[3] for i, f in check(engine).items() if i in (a, b)} == {a: 0, b: 0}


def test_records_added_at_once_in_two_transactions_are_both_counted(engine, db_backend) -> None:
    """PostgreSQL: the second transaction's rewrite waits for the case's row, which the first holds from its rewrite
    on, and then reads the first's records too. Without that lock its UPDATE would wait for the row anyway but count
    from the records it saw before: an evaluation of 5 would hide the first's 2, a late follow-up the first's early one.
    """
    if db_backend != "postgresql":
        pytest.skip("SQLite's writers take turns from BEGIN IMMEDIATE on")
    world = build_world(engine)
    today = clock.today()
    with transaction(engine) as db:
        case_id = intake(db, world, today - timedelta(days=20), [IDS[0]]).id
    paused, resume = threading.Event(), threading.Event()
    first = Session(engine)

    def hold(session: Session) -> None:  # registered after facts' listener: runs once the first has rewritten
        if session is first:
            paused.set()
            resume.wait(60)

    event.listen(Session, "before_commit", hold)
    try:
        first.add(CaseRecord(case_id=case_id, kind="evaluation", fields={"score": "2"}))
        first.add(CaseRecord(case_id=case_id, kind="followup", held_on=today - timedelta(days=9), fields={}))
        committer = threading.Thread(target=first.commit)
        committer.start()
        assert paused.wait(60)
        pid: list[int] = []

        def second() -> None:
            with transaction(engine) as db:
                pid.append(db.execute(text("SELECT pg_backend_pid()")).scalar())
                db.add(CaseRecord(case_id=case_id, kind="evaluation", fields={"score": "5"}))
                db.add(CaseRecord(case_id=case_id, kind="followup", held_on=today - timedelta(days=2), fields={}))

        other = threading.Thread(target=second)
        other.start()
        assert waiting_for_a_lock(engine, pid)  # the second's rewrite waits for the first's commit
        resume.set()
        committer.join(60)
        other.join(60)
        assert not committer.is_alive() and not other.is_alive()
    finally:
        resume.set()
        event.remove(Session, "before_commit", hold)
        first.close()
    assert check(engine)[case_id][:3] == (today - timedelta(days=9), True, False)


def test_a_request_holding_a_case_does_not_deadlock_one_rewriting_its_repeats(engine, db_backend) -> None:
    """PostgreSQL: one request holds case A (FOR UPDATE, as portal.db.lock does) and changes its parties, so it will
    want the 重复访 lock at its commit; meanwhile another commits a party that makes A a repeat and rewrites A's
    repeat row under that lock. That rewrite must not wait for A's row (a foreign key's check would: a deadlock)."""
    if db_backend != "postgresql":
        pytest.skip("SQLite's writers take turns from BEGIN IMMEDIATE on")
    world = build_world(engine)
    today = clock.today()
    with transaction(engine) as db:
        a = intake(db, world, today, [IDS[0]]).id
        b = intake(db, world, today - timedelta(days=3), [IDS[1]]).id
    holder = Session(engine)
    try:
        holder.execute(select(Case.id).where(Case.id == a).with_for_update())
        holder.add(Party(case_id=a, role="第三人", name="某", id_number=IDS[2]))
        holder.flush()

        def other() -> None:
            with transaction(engine) as db:
                db.add(Party(case_id=b, role="第三人", name="某", id_number=IDS[0]))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(120)  # it needs nothing the holder has: it ends by itself
        assert not thread.is_alive()
        holder.commit()
    finally:
        holder.close()
    assert {i: f[3] for i, f in check(engine).items() if i in (a, b)} == {a: 3, b: None}
