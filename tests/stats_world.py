"""Generated case histories for the statistics tests: random but well-formed cases over the test World, with the
records, transfers, parties, mediators, screening rounds and problem items the indicators count.

The World of tests/factories.py gains a second village under 东镇 (a1b), a second township (a2), 东镇司法所 (a1_sfs)
whose 督导 `a1.supervisor` supervises 东镇 through the supervision relation, and directors at 东镇 and 桃花村.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from factories import World, add_org, add_person
from sqlalchemy.engine import Engine

from portal.cases.models import (
    TRANSFER_KINDS,
    Case,
    CaseMediator,
    CaseRecord,
    CaseState,
    Party,
    Transfer,
    TransferState,
)
from portal.db import transaction
from portal.orgs.models import Organisation, OrgKind, Supervision, Tier
from portal.people.models import Role
from portal.problems.models import Problem, ProblemState
from portal.screening.models import ScreeningRound

S = CaseState
CONCLUDED = (S.AGREED, S.FAILED, S.CONFIRMING, S.PERFORMING, S.CLOSED, S.FOLLOWED_UP, S.EVALUATED)
CLOSED = (S.CLOSED, S.FOLLOWED_UP, S.EVALUATED)
TYPES = ["0101", "0102", "0201", "0301", "04", "1001", "1002", "14", "99"]
CHANNELS = ["来访", "电话", "网格员上报", "信访移交", "法院委派/委托"]
IDS = [f"1101051949123100{n:02d}" for n in range(12)]  # a small pool, so that parties repeat


@dataclass
class Generated:
    world: World
    cases: list[Case] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    records: list[CaseRecord] = field(default_factory=list)


def extend_world(engine: Engine, world: World) -> None:
    """The extra organisations and people (see the module's docstring)."""
    with transaction(engine) as db:
        o, p = world.orgs, world.people
        a, a1 = db.get(Organisation, o["a"].id), db.get(Organisation, o["a1"].id)
        o["a1b"] = add_org(db, "东镇李庄村人民调解委员会", a1, Tier.VILLAGE, short="李")
        o["a2"] = add_org(db, "甲县南镇人民调解委员会", a, Tier.TOWNSHIP, short="南")
        o["a1_sfs"] = add_org(db, "东镇司法所", a1, Tier.TOWNSHIP, OrgKind.JUSTICE_OFFICE, "东所")
        p["a1.supervisor"] = add_person(db, "a1.supervisor", "东所督导", (o["a1_sfs"], Role.SUPERVISOR))
        p["a1.director"] = add_person(db, "a1.director", "东镇主任", (o["a1"], Role.DIRECTOR))
        p["a1a.director"] = add_person(db, "a1a.director", "桃花主任", (o["a1a"], Role.DIRECTOR))
        db.add(Supervision(org_id=o["a1_sfs"].id, supervised_id=o["a1"].id))


def _day(rng: random.Random, start: date, days: int, today: date) -> date:
    return min(start + timedelta(days=rng.randint(0, days)), today)


def _moment(rng: random.Random, day: date) -> datetime:
    """A UTC moment on a day, often close to a local midnight (16:00 UTC is 00:00 in Asia/Shanghai)."""
    hour = rng.choice([15, 16, 17, 1, 8])
    return datetime.combine(day, time(hour, rng.randint(0, 59)), tzinfo=UTC)


def generate(engine: Engine, world: World, *, count: int, today: date, seed: int = 13) -> Generated:
    """`count` cases over counties A and B within ~16 months before `today`, and their side records."""
    rng = random.Random(seed)
    out = Generated(world)
    keys = ["a", "a1", "a1a", "a1a_g", "a1b", "a_med", "a2", "b", "b1"]
    mediators = ["a1.mediator", "a1a.grid", "b1.mediator", "a.mediator", "a.director"]
    with transaction(engine) as db:
        orgs = {k: db.get(Organisation, world.org(k).id) for k in keys}
        for n in range(count):
            org = orgs[rng.choice(keys)]
            registered = org if rng.random() < 0.7 else orgs[rng.choice(keys)]
            state = rng.choice(list(S))
            received = today - timedelta(days=rng.randint(0, 480))
            accepted = _day(rng, received, 4, today) if state not in (S.REGISTERED, S.REFUSED) else None
            outcome = None
            if state in CONCLUDED:
                outcome = "failed" if state is S.FAILED or (state in CLOSED and rng.random() < 0.15) else None
                outcome = outcome or ("written" if rng.random() < 0.7 else "oral")
            concluded = _day(rng, accepted, 45, today) if outcome and accepted else None
            closed = _day(rng, concluded, 20, today) if concluded and state in CLOSED else None
            case = Case(
                org_id=org.id,
                org_path=org.path,
                number_org_id=registered.id,
                number_year=received.year,
                number_prefix=registered.short_name,
                number_seq=n + 1,
                number=f"（{received.year}）{registered.short_name}人调字第{n + 1:03d}号",
                title=f"统计测试纠纷{n}",
                channel=rng.choice(CHANNELS),
                dispute_type=rng.choice(TYPES),
                summary="统计测试。",
                amount=rng.choice([None, Decimal("1200"), Decimal("35000.50"), Decimal("800")]),
                people_involved=rng.choice([1, 1, 2, 12]),
                group_dispute=rng.random() < 0.15,
                risk_flag=rng.random() < 0.15,
                state=state,
                outcome=outcome,
                received_on=received,
                accepted_on=accepted,
                concluded_on=concluded,
                closed_on=closed,
                mediation_due_on=accepted + timedelta(days=30) if accepted else None,
                followup_due_on=closed + timedelta(days=7) if closed else None,
            )
            db.add(case)
            db.flush()
            out.cases.append(case)
            for i in range(rng.randint(1, 2)):
                number = rng.choice(IDS) if rng.random() < 0.6 else ""
                db.add(Party(case_id=case.id, role="申请人" if i == 0 else "被申请人", name="某", id_number=number))
            for person in rng.sample(mediators, rng.randint(0, 2)):
                db.add(CaseMediator(case_id=case.id, person_id=world.person(person).id))
            out.records += _records(db, rng, case, today)
            if rng.random() < 0.35:
                out.transfers.append(_transfer(db, rng, world, orgs, case, today))
        _screening_and_problems(db, rng, orgs, today)
    return out


def _record(db, case: Case, kind: str, held_on: date | None, **fields) -> CaseRecord:  # noqa: ANN001, ANN003
    record = CaseRecord(case_id=case.id, kind=kind, held_on=held_on, fields={k: str(v) for k, v in fields.items()})
    db.add(record)
    return record


def _records(db, rng: random.Random, case: Case, today: date) -> list[CaseRecord]:  # noqa: ANN001
    made = []
    if case.outcome in ("written", "oral") and rng.random() < 0.9:  # some successes lack their agreement record
        kind = "agreement" if case.outcome == "written" else rng.choice(["oral_agreement", "agreement"])
        made.append(_record(db, case, kind, case.concluded_on, signed_on=case.concluded_on))
    if case.outcome == "written" and rng.random() < 0.3:
        ruled = _day(rng, case.concluded_on, 40, today)
        result = rng.choice(["确认协议有效", "确认协议有效", "驳回申请"])
        made.append(_record(db, case, "confirmation_ruling", ruled, ruled_on=ruled, result=result))
    if case.closed_on and case.state in (S.FOLLOWED_UP, S.EVALUATED):
        visited = case.closed_on + timedelta(days=rng.randint(0, 12))  # some visits come after the 7 days
        made.append(_record(db, case, "followup", min(visited, today), satisfaction="满意"))
    if case.state is S.EVALUATED:
        for source in rng.sample(["网上评价", "现场评价", "回访评价"], rng.randint(1, 3)):
            made.append(_record(db, case, "evaluation", None, source=source, score=rng.choice([5, 5, 4, 3, 2])))
    return made


def _transfer(db, rng: random.Random, world: World, orgs: dict, case: Case, today: date) -> Transfer:  # noqa: ANN001
    source = orgs[rng.choice(list(orgs))]
    target = orgs[rng.choice([k for k, o in orgs.items() if o.id != source.id])]
    state = rng.choice(list(TransferState))
    sent_day = _day(rng, case.received_on, 20, today)
    sent = _moment(rng, sent_day) if state is not TransferState.AWAITING_SIGNOFF else None
    answered = None
    if state in (TransferState.ACCEPTED, TransferState.RETURNED) and sent is not None:
        answered = sent + timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 20))
    transfer = Transfer(
        case_id=case.id,
        from_org_id=source.id,
        from_path=source.path,
        to_org_id=target.id,
        to_path=target.path,
        kind=rng.choice(TRANSFER_KINDS),
        letter="统计测试移送函。",
        state=state,
        created_by=world.person("a.director").id,
        sent_at=sent,
        answer_due_on=sent_day + timedelta(days=7) if sent is not None else None,
        answered_at=answered,
    )
    db.add(transfer)
    return transfer


def _screening_and_problems(db, rng: random.Random, orgs: dict, today: date) -> None:  # noqa: ANN001
    for key in ("a1", "a1a", "a1b", "a2", "b1"):
        org = orgs[key]
        for _ in range(rng.randint(2, 6)):
            held = today - timedelta(days=rng.randint(0, 400))
            db.add(
                ScreeningRound(
                    org_id=org.id,
                    org_path=org.path,
                    held_on=held,
                    participants="甲、乙",
                    area="全村",
                    findings_count=rng.randint(0, 4),
                )
            )
        for _ in range(rng.randint(1, 4)):
            found = today - timedelta(days=rng.randint(0, 400))
            struck = rng.random() < 0.5
            db.add(
                Problem(
                    org_id=org.id,
                    org_path=org.path,
                    title="统计测试问题",
                    source="排查",
                    found_on=found,
                    state=ProblemState.STRUCK_OFF if struck else ProblemState.REGISTERED,
                    struck_off_on=_day(rng, found, 60, today) if struck else None,
                )
            )
