"""Escalation (portal.cases.escalation) against a fixed clock: overdue mediation, transfer answers and follow-ups rise
to the director of the body concerned after `director_days`, to the supervising body after `supervisor_days`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from daily import build_daily_world, register, who
from sqlmodel import Session

from portal.cases import transfers
from portal.cases.escalation import Rules, escalations, supervised_paths
from portal.cases.models import Case, CaseState

FIXED = date(2026, 3, 16)  # a Monday; nothing below reads the real clock
RULES = Rules(director_days=3, supervisor_days=10)


def overdue_case(db: Session, world, org: str, by: str, *, days: int, what: str = "mediation") -> Case:  # noqa: ANN001
    """A case at `org` whose mediation (or follow-up) deadline passed `days` days before FIXED."""
    case = register(db, world, org, by)
    due = FIXED - timedelta(days=days)
    if what == "mediation":
        case.state, case.mediation_due_on = CaseState.MEDIATING, due
    else:
        case.state, case.followup_due_on, case.closed_on = CaseState.CLOSED, due, due - timedelta(days=7)
    db.add(case)
    db.commit()
    return case


def seen(db: Session, world, key: str, today: date = FIXED) -> dict[str, set[str]]:  # noqa: ANN001
    """Per level, the case numbers that have risen to the person."""
    found = escalations(db, who(db, world, key), today=today, rules=RULES)
    return {level: {item.number for item in got.items} for level, got in found.items()}


@pytest.mark.parametrize("days", range(0, 13))
def test_an_overdue_mediation_rises_to_the_village_director_then_the_supervisor(engine, days: int) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        case = overdue_case(db, world, "a1a", "a1.mediator", days=days)
        village, township, office = (seen(db, world, k) for k in ("a1a.director", "a1.director", "a.supervisor"))
        assert (case.number in village["director"]) is (days >= RULES.director_days)
        assert case.number not in township["director"]  # the village has its own director: not the township's desk
        assert (case.number in office["supervisor"]) is (days >= RULES.supervisor_days)


def test_a_body_without_its_own_director_escalates_to_the_one_above(engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        case = overdue_case(db, world, "a1", "a1.clerk", days=5)  # at the township itself
        grid = overdue_case(db, world, "a1a_g", "a1a.grid", days=5)  # a grid's case: its village director's
        assert case.number in seen(db, world, "a1.director")["director"]
        assert grid.number in seen(db, world, "a1a.director")["director"]
        assert grid.number not in seen(db, world, "a1.director")["director"]


def test_unanswered_transfers_and_late_follow_ups_rise_too_and_counts_cover_every_kind(engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        sent = register(db, world, "a1a", "a1.mediator")
        transfer = transfers.create(
            db,
            who(db, world, "a1.mediator"),
            sent,
            to_org_id=str(world.org("a1").id),
            kind="上报",
            letter="村里调解不成，请镇调委会调解。附调解记录。",
        )
        transfers.sign_off(db, who(db, world, "a1a.director"), transfer.id, answer_days=7)
        transfer.answer_due_on = FIXED - timedelta(days=4)
        db.add(transfer)
        late = overdue_case(db, world, "a1", "a1.clerk", days=11, what="followup")
        mediating = overdue_case(db, world, "a1", "a1.clerk", days=3)
        found = escalations(db, who(db, world, "a1.director"), today=FIXED, rules=RULES)["director"]
        assert found.counts == {"answer": 1, "followup": 1, "mediation": 1}
        assert [i.number for i in found.items] == [late.number, sent.number, mediating.number]  # longest overdue first
        assert [i.kind for i in found.items] == ["followup", "answer", "mediation"]
        assert found.items[1].org_name == "甲县东镇人民调解委员会"  # the receiver has to answer
        office = escalations(db, who(db, world, "a.supervisor"), today=FIXED, rules=RULES)["supervisor"]
        assert office.counts == {"followup": 1}


def test_nothing_rises_beyond_its_area_and_only_leaders_and_supervisors_have_levels(engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        above = overdue_case(db, world, "a1", "a1.clerk", days=30)
        assert above.number not in seen(db, world, "a1a.director")["director"]  # a village never sees the township's
        assert above.number not in seen(db, world, "xf.head")["director"]  # nor a body beside the county
        assert above.number in seen(db, world, "a.supervisor")["supervisor"]
        assert escalations(db, who(db, world, "a1.mediator"), today=FIXED, rules=RULES) == {}
        assert seen(db, world, "b.admin") == {}
        assert seen(db, world, "a1.director", today=FIXED - timedelta(days=30)) == {"director": set()}


def test_a_司法所_supervises_the_township_it_sits_beside_and_lists_only_what_its_scope_reads(engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        case = overdue_case(db, world, "a1a", "a1.mediator", days=20)
        assert supervised_paths(db, who(db, world, "sfs.supervisor")) == [world.org("a1").path]
        assert supervised_paths(db, who(db, world, "a.supervisor")) == [world.org("a").path]
        # its 督导 role is over the 司法所 alone: until the supervision relation widens its scope, nothing is named
        assert seen(db, world, "sfs.supervisor") == {"supervisor": set()}
        assert case.number in seen(db, world, "a.supervisor")["supervisor"]
